import Attribution
import AudioIO
import Foundation
import NDArray
import Workflow

/// One window the classifier has seen.
struct ClassifiedWindow: Sendable {
    let source: String
    let time: Date
    let sampleIndex: Int
    let samples: [Float]
    let padding: Int
    let dbfs: Double
    let probabilities: [Double]
    let top: Int
}

/// Turns one stream's interleaved blocks into classified windows: downmix, resample to the
/// model's rate with libsoxr, cut into windows, run the model forward.
final class StreamClassifier {
    let classifier: Classifier
    let source: String
    let startTime: Date
    let modelRate: Double
    private let channels: Int
    private let resampler: Resampler?
    private var assembler: WindowAssembler

    init(classifier: Classifier, source: String, startTime: Date, streamRate: Double, channels: Int, modelRate: Double,
         hop: Int) throws(AudioError) {
        self.classifier = classifier
        self.source = source
        self.startTime = startTime
        self.modelRate = modelRate
        self.channels = channels
        let length = classifier.inputShape.last ?? 1
        resampler = streamRate == modelRate ? nil : try Resampler(from: streamRate, to: modelRate, channels: 1)
        assembler = WindowAssembler(length: length, hop: hop > 0 ? hop : length)
    }

    /// The windows `block` completes; windows holding NaN or infinite samples are left out and
    /// reported by the index of their first bad sample.
    func process(_ block: [Float]) throws -> (windows: [ClassifiedWindow], rejected: [Int]) {
        let mono = AudioBuffer(samples: block, channels: channels, sampleRate: modelRate).downmixed()
        return try classify(assembler.append(resampler?.process(mono) ?? mono).map { ($0.start, $0.samples, 0) })
    }

    /// At the end of a finite stream: what the resampler held back and the last partial window.
    func finish() throws -> (windows: [ClassifiedWindow], rejected: [Int]) {
        var windows = assembler.append(resampler?.flush() ?? []).map { ($0.start, $0.samples, 0) }
        if let last = assembler.finish() { windows.append((last.start, last.samples, last.padding)) }
        return try classify(windows)
    }

    private func classify(_ windows: [(Int, [Float], Int)]) throws -> (windows: [ClassifiedWindow], rejected: [Int]) {
        var results: [ClassifiedWindow] = [], rejected: [Int] = []
        for (start, samples, padding) in windows {
            if let bad = samples.firstIndex(where: { !$0.isFinite }) {
                rejected.append(start + bad)
                continue
            }
            let logits = try classifier.engine.logits(NDArray(shape: [1] + classifier.inputShape, storage: samples)).storage
            let probabilities = softmax(logits)
            results.append(ClassifiedWindow(source: source, time: startTime.addingTimeInterval(Double(start) / modelRate),
                                            sampleIndex: start, samples: samples, padding: padding,
                                            dbfs: ExplanationGate.dbfs(samples), probabilities: probabilities,
                                            top: probabilities.indices.max { probabilities[$0] < probabilities[$1] }!))
        }
        return (results, rejected)
    }
}
