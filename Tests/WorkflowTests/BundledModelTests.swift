import Foundation
import NDArray
import Testing

@testable import Workflow

/// Every bundled model runs in the engine, reproduces the reference logits of its sample inputs
/// (`<model>.samples.json`, PyTorch/onnxruntime), and gets the accuracy its card states.
@Suite struct BundledModelTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let models = ["audio-resnet", "audio-resnet-noisy", "digits-cnn", "shapes3d-cnn"]

    struct Reference: Decodable {
        struct Input: Decodable {
            let file: String
            let logits: [Float]
            let predicted: String
            /// The true class (images, volumes) or classes (audio; a mixture has two).
            let label: String?
            let labels: [String]?

            var truth: [String] { labels ?? label.map { [$0] } ?? [] }
        }

        let inputs: [Input]
        let summary: [String: [String: Int]]
    }

    @Test("logits of every sample input match the reference to 1e-4; predictions and card counts agree", arguments: models)
    func samples(model name: String) throws {
        let folder = Self.root.appendingPathComponent("Samples/models")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.appendingPathComponent("\(name).samples.json")))
        let classifier = try Classifier(url: folder.appendingPathComponent("\(name).onnx"), maxBatch: 8)
        var agreeing = 0, right = 0
        for input in reference.inputs {
            let window = try InputReader.first(
                url: Self.root.appendingPathComponent(input.file), exampleShape: classifier.inputShape,
                sampleRate: 16000
            ).window
            let logits = try classifier.engine.logits(NDArray(shape: [1] + classifier.inputShape, storage: window.samples)).storage
            let scale = max(input.logits.map(abs).max() ?? 1, 1)
            let error = zip(logits, input.logits).map { abs($0 - $1) }.max() ?? 0
            #expect(error / scale < 1e-4, "\(input.file): logits differ by \(error)")
            let predicted = classifier.labels[logits.indices.max { logits[$0] < logits[$1] }!]
            #expect(predicted == input.predicted, "\(input.file)")
            if predicted == input.predicted { agreeing += 1 }
            if input.truth.contains(predicted) { right += 1 }
        }
        #expect(agreeing == reference.inputs.count)
        // The card's counts over these inputs (the stream's events are counted separately).
        let stated = reference.summary.filter { !$0.key.hasPrefix("stream") }.values.compactMap { $0["correct"] }.reduce(0, +)
        #expect(right == stated, "\(right) correct here, the card states \(stated)")
    }

    @Test("the audio model's accuracy on the bundled eval set is the 58/60 its card states")
    func evalAccuracy() throws {
        let set = try LabelledSet(path: Self.root.appendingPathComponent("Samples/audio/eval").path)
        let classifier = try Classifier(url: Self.root.appendingPathComponent("Samples/models/audio-resnet.onnx"), maxBatch: 8)
        var correct = 0
        for example in set.examples {
            let window = try InputReader.first(url: example.url, exampleShape: classifier.inputShape, sampleRate: 16000).window
            let logits = try classifier.engine.logits(NDArray(shape: [1] + classifier.inputShape, storage: window.samples)).storage
            if classifier.labels[logits.indices.max { logits[$0] < logits[$1] }!] == example.label { correct += 1 }
        }
        let card = try String(contentsOf: Self.root.appendingPathComponent("Samples/models/audio-resnet.samples.json"), encoding: .utf8)
        #expect(set.examples.count == 60)
        #expect(correct == 58)
        #expect(card.contains("\"correct\": 58"))
    }
}
