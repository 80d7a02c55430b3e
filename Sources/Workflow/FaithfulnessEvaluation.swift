import Attribution
import Foundation

/// The metrics `wam eval` can compute (METHOD.md section 5).
public enum Metric: String, Spelled, Codable {
    case insertion, deletion, faithfulness, mufidelity, ff, fidin
}

/// Faithfulness of each method over a labelled set: per example the metrics of the method's
/// explanation of the predicted class, then per method the mean (median for FF, share of
/// agreements for Fid-In).
public struct FaithfulnessEvaluation: Sendable {
    public let classifier: Classifier
    public let settings: ExplanationSettings
    public let options: MethodOptions
    public let methods: [EvaluationMethod]
    public let metrics: [Metric]
    /// K of the insertion and deletion curves.
    public var insertionSteps = 64

    public init(
        classifier: Classifier, settings: ExplanationSettings, options: MethodOptions, methods: [EvaluationMethod],
        metrics: [Metric]
    ) {
        self.classifier = classifier
        self.settings = settings
        self.options = options
        self.methods = methods
        self.metrics = metrics
    }

    /// One example's scores for one method.
    public struct Scores: Codable, Sendable {
        public var file: String
        public var label: String
        public var predicted: String
        public var method: EvaluationMethod
        public var values: [String: Double]
        public var seconds: Double
    }

    /// Scores of every method on one labelled input (its first window).
    public func evaluate(_ example: LabelledSet.Example, sampleRate: Double) throws -> [Scores] {
        let (signal, window) = try InputReader.first(url: example.url, exampleShape: classifier.inputShape, sampleRate: sampleRate)
        let samples = window.samples
        let logits = try classifier.engine.logits(.init(shape: [1] + classifier.inputShape, storage: samples)).storage
        let predicted = logits.indices.max { logits[$0] < logits[$1] }!
        return try methods.map { method in
            let started = Date()
            let result = try method.run(
                samples, kind: signal.kind, classifier: classifier, settings: settings,
                options: options, target: predicted)
            let scorer = FaithfulnessMetrics(
                model: classifier.engine, representation: result.representation,
                maxBatch: classifier.engine.options.maxBatch)
            var values: [String: Double] = [:]
            if metrics.contains(where: { [.insertion, .deletion, .faithfulness].contains($0) }) {
                let curves = try scorer.insertionDeletion(
                    coefficients: result.coefficients, attribution: result.attribution,
                    target: predicted, steps: insertionSteps)
                values["insertion"] = curves.insertion.area
                values["deletion"] = curves.deletion.area
                values["faithfulness"] = curves.insertion.area - curves.deletion.area
            }
            if metrics.contains(.mufidelity) {
                values["mufidelity"] = try scorer.muFidelity(
                    coefficients: result.coefficients, attribution: result.attribution,
                    target: predicted)
            }
            if metrics.contains(.ff) {
                let removed = try scorer.logits(coefficients: result.coefficients, attribution: result.attribution, fraction: 0.5, keep: false)
                values["ff"] = Double(logits[predicted] - removed[predicted])
            }
            if metrics.contains(.fidin) {
                let kept = try scorer.logits(coefficients: result.coefficients, attribution: result.attribution, fraction: 0.5, keep: true)
                values["fidin"] = kept.indices.max { kept[$0] < kept[$1] } == predicted ? 1 : 0
            }
            values = values.filter { metrics.map(\.rawValue).contains($0.key) }
            return Scores(
                file: example.url.path, label: example.label, predicted: classifier.labels[predicted], method: method,
                values: values, seconds: Date().timeIntervalSince(started))
        }
    }

    /// Per method and metric: the mean, the median for FF, the share of agreements for Fid-In.
    public static func summarize(_ scores: [Scores], methods: [EvaluationMethod], metrics: [Metric]) -> [EvaluationMethod: [Metric: Double]] {
        var table: [EvaluationMethod: [Metric: Double]] = [:]
        for method in methods {
            let rows = scores.filter { $0.method == method }
            for metric in metrics {
                let values = rows.compactMap { $0.values[metric.rawValue] }.sorted()
                guard !values.isEmpty else { continue }
                table[method, default: [:]][metric] =
                    metric == .ff
                    ? (values[(values.count - 1) / 2] + values[values.count / 2]) / 2
                    : values.reduce(0, +) / Double(values.count)
            }
        }
        return table
    }
}
