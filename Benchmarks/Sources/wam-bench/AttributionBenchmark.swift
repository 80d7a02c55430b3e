import ArgumentParser
import Attribution
import CommandSupport
import Foundation
import Wavelets
import Workflow

/// `wam-bench attribution`: WAM_SG (n = 25) and WAM_IG (m = 32) of one 1 s window with the
/// bundled audio model, the cases of Reference/torch_wam.py.
struct AttributionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribution",
        abstract: "Time WAM_SG n=25 and WAM_IG m=32 on one window (compare with Reference/torch_wam.py).")

    @Option(help: "Threads for the model.") var threads: Int = 1
    @Option(help: "Most examples per model call.") var maxBatch: Int = 8
    @Option(help: "Repetitions; the median is reported.") var repeats: Int = 5
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        try Check.range(threads, 1...64, "--threads")
        try Check.range(maxBatch, 1...1024, "--max-batch")
        try Check.range(repeats, 1...10_000, "--repeats")
    }

    func run() throws {
        let modelURL = try Classifier.bundledModel().orThrow(WorkflowError(source: "bench", reason: "the bundled model was not found"))
        let classifier = try Classifier(url: modelURL, threads: threads, maxBatch: maxBatch)
        let clip = modelURL.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("audio/yes.wav")
        let samples = try InputReader.first(url: clip, exampleShape: classifier.inputShape, sampleRate: 16000).window.samples
        let transform = try WaveletTransform(
            wavelet: try Wavelet("db4"), mode: .symmetric, signalShape: classifier.inputShape,
            levels: 6, axes: [1])
        let explainer = try Explainer(model: classifier.engine, representation: transform, maxBatch: maxBatch)
        var results: [String: Double] = [:]
        for (name, method) in [
            ("wam_smoothgrad_n25_ms", AttributionMethod.smoothgrad(SmoothGradOptions(samples: 25, spread: 0.1))),
            ("wam_intgrad_m32_ms", .intgrad(IntegratedGradientsOptions(steps: .fixed(32)))),
        ] {
            _ = try explainer.explain(samples, method: method)
            var times: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now()
                _ = try explainer.explain(samples, method: method)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
            }
            results[name] = times.sorted()[times.count / 2]
        }
        results["peak_rss_mb"] = PeakMemory.megabytes()
        results["threads"] = Double(threads)
        results["max_batch"] = Double(maxBatch)
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        } else {
            for (key, value) in results.sorted(by: { $0.key < $1.key }) {
                print("\(key.padding(toLength: 24, withPad: " ", startingAt: 0)) \(String(format: "%.1f", value))")
            }
        }
    }
}
