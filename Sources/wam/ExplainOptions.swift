import ArgumentParser
import Attribution
import CommandSupport
import Foundation
import Wavelets
import Workflow

/// How to explain an input: the model, the method and its settings, the windows and the files
/// written. Shared by `wam explain` (one input) and `wam batch` (many).
struct ExplainOptions: ParsableArguments {
    @Option(help: "The model (.onnx); default: the bundled audio model (Samples/models/audio-resnet.onnx).")
    var model: String?

    @Option(help: "The attribution method.")
    var method = ExplanationRequest.Method.intgrad

    @Option(help: "The class to explain (label or index); default: the top prediction.")
    var target: String?

    @Option(help: "Wavelet (see `wam wavelet list`).")
    var wavelet: String = "db4"

    @Option(help: "Decomposition levels; default: up to 6 for audio, 3 for images and volumes.")
    var levels: Int?

    @Option(help: "Signal extension mode.")
    var mode = ExtensionMode.symmetric

    @Option(help: "SmoothGrad: noisy samples.")
    var samples: Int = 25

    @Option(help: "SmoothGrad: noise deviation as a fraction of the signal's range.")
    var spread: Double = 0.1

    @Option(help: "SmoothGrad: noise seed.")
    var seed: UInt64 = 0

    @Option(help: "Integrated gradients: path steps, or `auto` to refine until the completeness gap is under --tolerance.")
    var steps: String = "32"

    @Option(help: "With --steps auto: relative completeness gap to reach.")
    var tolerance: Double = 0.01

    @Option(help: "With --steps auto: most gradient evaluations to spend.")
    var maxSteps: Int = 256

    @Option(help: "Interpretation: fraction of coefficients kept, ranked by --rank.")
    var keep: Double = 0.1

    @Option(help: "Interpretation by level instead: keep |a| above this share of each level's peak (e.g. 0.2).")
    var threshold: Double?

    @Option(
        help:
            "Rank coefficients for the interpretation by `attribution` (|a|, METHOD.md), `signed` (a, the evidence for the class first) or `evidence` (|a z| averaged over --width neighbours in a band)."
    )
    var rank = ExplanationRequest.Rank.attribution

    @Option(help: "With --rank evidence: coefficients averaged per band.")
    var width: Int = 17

    @Option(help: "Audio: samples between window starts; default: the window length.")
    var hop: Int?

    @Option(help: "Audio: the model's sample rate in Hz.")
    var rate: Double = 16000

    @Option(help: "Threads for the model.")
    var threads: Int = 1

    @Option(help: "Most examples per model call (bounds memory).")
    var maxBatch: Int = 16

    @Option(parsing: .upToNextOption, help: "Shape of one example, for models with dynamic input axes (e.g. 1 16000).")
    var inputShape: [Int] = []

    @OptionGroup var modelInputs: ModelInputOptions

    @Flag(help: "Also write each input window as <name>_input.wav.")
    var inputAudio = false

    @Flag(help: "Skip the PNG pictures.")
    var noPicture = false

    func validate() throws {
        try Check.sampleRate(rate, "--rate")
        try Check.range(samples, 1...10_000, "--samples")
        try Check.range(spread, 0...10, "--spread")
        try Check.range(tolerance, 0.000001...1, "--tolerance")
        try Check.range(maxSteps, 1...100_000, "--max-steps")
        try Check.range(width, 1...10_000, "--width")
        try Check.range(threads, 1...64, "--threads")
        try Check.range(maxBatch, 1...1024, "--max-batch")
        if let levels { try Check.range(levels, 1...30, "--levels") }
        if let hop { try Check.range(hop, 1...10_000_000, "--hop", unit: " samples") }
        if let threshold { try Check.range(threshold, 0...1, "--threshold") }
        if threshold != nil, rank != .attribution {
            throw ValidationError(
                "--threshold keeps |a| above a share of each level's peak; --rank \(rank.rawValue) ranks for --keep: use one or the other")
        }
        if threshold == nil, !(keep > 0 && keep <= 1) {
            throw ValidationError("--keep \(keep) is outside (0, 1]: it is the fraction of coefficients kept")
        }
        do { _ = try Wavelet(wavelet) } catch { throw ValidationError("--wavelet \(wavelet): \(error)") }
        _ = try request
        for size in inputShape { try Check.range(size, 1...100_000_000, "--input-shape") }
    }

    /// The options as one explanation request (the target is resolved against the model later).
    var request: ExplanationRequest {
        get throws {
            var request = ExplanationRequest()
            request.method = method
            request.wavelet = wavelet
            request.mode = mode
            request.levels = levels
            request.samples = samples
            request.spread = spread
            request.seed = seed
            do { request.steps = try .init(spelling: steps, key: "--steps") } catch { throw ValidationError(error.description) }
            request.tolerance = tolerance
            request.maxSteps = maxSteps
            request.rank = rank
            request.keep = keep
            request.width = width
            request.threshold = threshold
            return request
        }
    }

    /// Every option that changes what is written, as spelled (threads and batch size do not:
    /// results do not depend on them), for `wam batch` to check that its shards agree.
    var recorded: [String: String] {
        var values: [String: String] = [
            "method": method.rawValue, "wavelet": wavelet, "mode": mode.rawValue, "samples": "\(samples)", "spread": "\(spread)",
            "seed": "\(seed)", "steps": (try? ExplanationRequest.Steps(spelling: steps, key: "--steps"))?.description ?? steps,
            "tolerance": "\(tolerance)", "max-steps": "\(maxSteps)", "keep": "\(keep)",
            "rank": rank.rawValue, "width": "\(width)", "rate": "\(rate)", "input-audio": "\(inputAudio)",
            "picture": "\(!noPicture)", "input-shape": inputShape.map(String.init).joined(separator: " "),
            "input": modelInputs.inputs.joined(separator: " "), "state": modelInputs.state.joined(separator: " "),
        ]
        values["target"] = target
        values["levels"] = levels.map(String.init)
        values["threshold"] = threshold.map { "\($0)" }
        values["hop"] = hop.map(String.init)
        values["explain-input"] = modelInputs.explainInput
        values["output"] = modelInputs.output
        return values
    }

    /// The model these options name, loaded.
    func classifier() throws -> Classifier {
        let modelURL =
            try model.map { URL(fileURLWithPath: $0) }
            ?? Classifier.bundledModel().orThrow(
                WorkflowError(source: "--model", reason: "no model given and the bundled Samples/models/audio-resnet.onnx was not found"))
        return try Classifier(
            url: modelURL, threads: threads, maxBatch: maxBatch,
            exampleShape: inputShape.isEmpty ? nil : inputShape, bindings: try modelInputs.bindings())
    }
}

extension ExplanationRequest.Method: ExpressibleByArgument {}
extension ExplanationRequest.Rank: ExpressibleByArgument {}
extension ExtensionMode: ExpressibleByArgument {}
