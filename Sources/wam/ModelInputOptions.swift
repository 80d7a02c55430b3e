import ArgumentParser
import ONNX
import Workflow

/// How a model's inputs and outputs are used, for every command that loads a model.
struct ModelInputOptions: ParsableArguments {
    @Option(
        name: .customLong("input"),
        help: ArgumentHelp(
            "A model input that is not explained, given at load: NAME=NUMBER or NAME=FILE.npy (repeatable).",
            discussion: "A number given for an input with more elements fills it (dynamic axes taken as 1): "
                + "`--input sr=16000 --input state=0` for silero-vad.",
            valueName: "name=value"))
    var inputs: [String] = []

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "A state input and the output holding its next value: INPUT=OUTPUT (repeatable); carried from window to window.",
            discussion: "`--state state=stateN` for silero-vad. The state starts at zeros, or at the value given with --input.",
            valueName: "input=output"))
    var state: [String] = []

    @Option(help: ArgumentHelp("The input to explain (default: the first float input not given).", valueName: "name"))
    var explainInput: String?

    @Option(help: ArgumentHelp("The output to explain (default: the first).", valueName: "name"))
    var output: String?

    /// The bindings these options describe.
    func bindings() throws -> ModelBindings {
        var pairs: [String: String] = [:]
        for pair in state {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--state '\(pair.prefix(80))' is not INPUT=OUTPUT (e.g. state=stateN)")
            }
            guard pairs.updateValue(parts[1], forKey: parts[0]) == nil else { throw ValidationError("--state: '\(parts[0])' is given twice") }
        }
        return try ModelBindings.parse(
            assignments: inputs, option: "--input", explainedInput: explainInput, output: output, state: pairs)
    }
}
