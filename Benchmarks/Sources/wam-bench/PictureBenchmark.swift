import ArgumentParser
import Foundation
import Rendering
import Workflow

/// `wam-bench picture`: the time to draw a window's picture (waveform over scalogram) and to
/// encode it as PNG, on a window of the bundled sample explained once.
struct PictureBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "picture", abstract: "Milliseconds to render and encode one window's PNG picture.")

    @Option(help: "An audio clip; default: the bundled piano sample.")
    var input: String?

    @Option(help: "Pictures timed.")
    var rounds: Int = 200

    func run() throws {
        let modelURL = try Classifier.bundledModel().orThrow(WorkflowError(source: "--model", reason: "the bundled model was not found"))
        let classifier = try Classifier(url: modelURL)
        let clip = input ?? modelURL.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("audio/piano.wav").path
        var request = ExplanationRequest()
        request.method = .gradient
        let explainer = WindowExplainer(classifier: classifier, settings: try request.settings())
        let reader = try InputReader(url: URL(fileURLWithPath: clip), exampleShape: classifier.inputShape, sampleRate: 16000, hop: nil)
        guard let window = try reader.next() else { throw WorkflowError(source: clip, reason: "holds no window") }
        let result = try explainer.explain(window, of: reader.signal)
        var render: [Double] = [], encode: [Double] = [], bytes = 0
        for _ in 0..<max(rounds, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            let raster = explainer.picture(result)
            let drawn = DispatchTime.now().uptimeNanoseconds
            bytes = PNGCodec.encode(raster).count
            let end = DispatchTime.now().uptimeNanoseconds
            render.append(Double(drawn - start) / 1e6)
            encode.append(Double(end - drawn) / 1e6)
        }
        func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let total = zip(render, encode).map(+)
        print(
            String(
                format: "picture of one window (%d rounds): render %.2f ms, PNG encode %.2f ms, total %.2f ms (middle); %d bytes",
                rounds, middle(render), middle(encode), middle(total), bytes))
    }
}
