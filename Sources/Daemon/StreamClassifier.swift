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
    /// A stateful model's state as the window found it (empty for models without state).
    let state: [String: NDArray<Float>]
}

/// A window waiting for its explanation, and the file that asked for it (nil for live sources).
struct ExplanationJob: Sendable {
    let window: ClassifiedWindow
    let progress: FileProgress?
}

/// Turns one stream's interleaved blocks into classified windows: `WindowCutter` (downmix,
/// resample to the model's rate, cut), then the model forward, a stateful model's state carried
/// from window to window (from its initial value for each new stream).
final class StreamClassifier {
    let classifier: Classifier
    let source: String
    let startTime: Date
    let modelRate: Double
    private let cutter: WindowCutter
    private var carrier: StateCarrier

    init(
        classifier: Classifier, source: String, startTime: Date, streamRate: Double, channels: Int, modelRate: Double,
        hop: Int
    ) throws(AudioError) {
        self.classifier = classifier
        self.source = source
        self.startTime = startTime
        self.modelRate = modelRate
        carrier = StateCarrier(classifier: classifier)
        let length = classifier.inputShape.last ?? 1
        cutter = try WindowCutter(
            streamRate: streamRate, channels: channels, modelRate: modelRate, length: length,
            hop: hop > 0 ? hop : length)
    }

    /// The windows `block` completes; windows holding NaN or infinite samples, or for which the
    /// model's outputs are not finite, are left out and reported.
    func process(_ block: [Float]) throws -> (windows: [ClassifiedWindow], rejected: [RejectedWindow]) {
        try classify(cutter.append(block))
    }

    /// Audio was lost before the next block (an overrun): a stateful model starts again from its
    /// initial state rather than carry a state from before the gap.
    func gap() {
        carrier.reset()
    }

    /// At the end of a finite stream: what the resampler held back and the last partial window.
    func finish() throws -> (windows: [ClassifiedWindow], rejected: [RejectedWindow]) {
        try classify(cutter.finish())
    }

    private func classify(_ windows: [CutWindow]) throws -> (windows: [ClassifiedWindow], rejected: [RejectedWindow]) {
        var results: [ClassifiedWindow] = [], rejected: [RejectedWindow] = []
        for window in windows {
            if let bad = window.samples.firstIndex(where: { !$0.isFinite }) {
                rejected.append(RejectedWindow(sampleIndex: window.start + bad, reason: "NaN or infinite samples"))
                carrier.reset()
                continue
            }
            let state = carrier.state
            let logits = try carrier.advance(window.samples).outputs
            let probabilities = classifier.scale.probabilities(logits)
            guard probabilities.allSatisfy(\.isFinite) else {
                rejected.append(RejectedWindow(sampleIndex: window.start, reason: "the model's outputs are not finite"))
                continue
            }
            results.append(
                ClassifiedWindow(
                    source: source, time: startTime.addingTimeInterval(Double(window.start) / modelRate),
                    sampleIndex: window.start, samples: window.samples, padding: window.padding,
                    dbfs: ExplanationGate.dbfs(window.samples), probabilities: probabilities,
                    top: probabilities.indices.max { probabilities[$0] < probabilities[$1] }!, state: state))
        }
        return (results, rejected)
    }
}

/// A window left out before the gates: where it is and why.
struct RejectedWindow: Sendable, Equatable {
    let sampleIndex: Int
    let reason: String
}
