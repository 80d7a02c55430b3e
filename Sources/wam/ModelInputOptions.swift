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

    @Option(help: ArgumentHelp("The input to explain (default: the first float input not given).", valueName: "name"))
    var explainInput: String?

    @Option(help: ArgumentHelp("The output to explain (default: the first).", valueName: "name"))
    var output: String?

    /// The bindings these options describe.
    func bindings() throws -> ModelBindings {
        try ModelBindings.parse(assignments: inputs, option: "--input", explainedInput: explainInput, output: output)
    }
}
