import ArgumentParser
import Attribution
import CommandSupport
import Foundation
import Wavelets
import Workflow

/// `wam-bench integration`: gradient evaluations the adaptive WAM_IG spends to reach a
/// completeness tolerance, against plain doubling of the midpoint rule (8, 16, 32, ... steps,
/// each run from scratch, counted cumulatively).
struct IntegrationBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integration",
        abstract: "Gradient evaluations of --steps auto against doubling the steps, on audio clips.")

    @Argument(help: "Audio clips; default: the bundled clean and 0 dB sample clips.")
    var inputs: [String] = []

    @Option(help: "The model (.onnx); default: the bundled audio model.")
    var model: String?

    @Option(help: "Relative completeness gap to reach.")
    var tolerance: Double = 0.01

    @Option(help: "Most gradient evaluations per method and clip.")
    var cap: Int = 1024

    @Option(help: "Wavelet.") var wavelet: String = "db4"
    @Option(help: "Most examples per model call.") var maxBatch: Int = 16

    func validate() throws {
        try Check.range(tolerance, 0.000001...1, "--tolerance")
        try Check.range(cap, 1...100_000, "--cap")
        try Check.range(maxBatch, 1...1024, "--max-batch")
    }

    func run() throws {
        let modelURL =
            try model.map { URL(fileURLWithPath: $0) }
            ?? Classifier.bundledModel().orThrow(
                WorkflowError(source: "--model", reason: "the bundled model was not found"))
        let classifier = try Classifier(url: modelURL, maxBatch: maxBatch)
        let files = inputs.isEmpty ? Self.bundledClips(near: modelURL) : inputs
        let settings = ExplanationSettings(wavelet: try Wavelet(wavelet))
        print("clip                 auto: gradients  forwards  gap      doubling: steps  gradients  gap")
        var autoTotal = 0, doublingTotal = 0
        for file in files {
            let samples = try InputReader.first(url: URL(fileURLWithPath: file), exampleShape: classifier.inputShape, sampleRate: 16000).window
                .samples
            let transform = try settings.transform(exampleShape: classifier.inputShape, kind: .audio)
            let explainer = try Explainer(model: classifier.engine, representation: transform, maxBatch: maxBatch)
            let adaptive = try explainer.explain(
                samples, method: .intgrad(IntegratedGradientsOptions(steps: .auto(tolerance: tolerance, maxSteps: cap))))
            var steps = 8, spent = 0, gap = Double.infinity
            while spent + steps <= cap {
                let fixed = try explainer.explain(samples, method: .intgrad(IntegratedGradientsOptions(steps: .fixed(steps))))
                spent += steps
                gap = fixed.integration!.relativeGap
                if abs(gap) <= tolerance { break }
                steps *= 2
            }
            let report = adaptive.integration!
            autoTotal += report.steps
            doublingTotal += spent
            print(
                String(
                    format: "%@ %15d %9d  %+6.2f%%%@ %15d %10d  %+6.2f%%%@",
                    URL(fileURLWithPath: file).lastPathComponent.padding(toLength: 20, withPad: " ", startingAt: 0),
                    report.steps, adaptive.forwardEvaluations, report.relativeGap * 100, report.converged ? " " : "!",
                    steps, spent, gap * 100, abs(gap) <= tolerance ? " " : "!"))
        }
        print(
            "total gradient evaluations: auto \(autoTotal), doubling \(doublingTotal) "
                + String(
                    format: "(auto spends %.0f%% of doubling's); ! = tolerance not reached", 100 * Double(autoTotal) / Double(max(doublingTotal, 1))))
    }

    static func bundledClips(near model: URL) -> [String] {
        let audio = model.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("audio")
        return ["yes", "stop", "piano", "violin", "drums", "chirp"].flatMap { ["\($0).wav", "\($0)-0dB.wav"] }
            .map { audio.appendingPathComponent($0).path }
    }
}
