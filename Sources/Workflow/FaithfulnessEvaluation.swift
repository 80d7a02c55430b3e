import Attribution
import Foundation

/// The metrics `wam eval` can compute (METHOD.md section 5).
public enum Metric: String, Spelled, Codable {
    case insertion, deletion, faithfulness, mufidelity, ff, fidin
}

/// The order `wam eval` ranks each method's features in for its metrics (`--order`).
public enum MetricOrder: String, Spelled, Codable {
    /// Each method's natural order (`EvaluationMethod.naturalOrder`).
    case auto
    /// Every method by `|a|`.
    case magnitude
    /// Every method by `a`.
    case signed

    /// The order used for `method`.
    public func order(for method: EvaluationMethod) -> RankingOrder {
        switch self {
        case .auto: method.naturalOrder
        case .magnitude: .magnitude
        case .signed: .signed
        }
    }
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
    /// The orders features are ranked in for insertion, deletion, FF and Fid-In, each method
    /// scored once per distinct order they give it (mu-fidelity uses the attribution's values,
    /// not a ranking, so it is the same in every order).
    public var orders = [MetricOrder.magnitude]

    /// One row of the table: a method in one order.
    public struct Row: Hashable, Sendable {
        public let method: EvaluationMethod
        public let order: RankingOrder
    }

    /// The rows `orders` give `methods`, in the methods' order.
    public static func rows(methods: [EvaluationMethod], orders: [MetricOrder]) -> [Row] {
        var rows: [Row] = []
        for method in methods {
            for order in orders.map({ $0.order(for: method) }) where !rows.contains(Row(method: method, order: order)) {
                rows.append(Row(method: method, order: order))
            }
        }
        return rows
    }

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
        /// Whether `method` is a model-free reference.
        public var reference: Bool
        /// The order the features were ranked in.
        public var order: RankingOrder
        public var values: [String: Double]
        public var seconds: Double
    }

    /// Scores of every method on one labelled input (its first window).
    public func evaluate(_ example: LabelledSet.Example, sampleRate: Double) throws -> [Scores] {
        let (signal, window) = try InputReader.first(url: example.url, exampleShape: classifier.inputShape, sampleRate: sampleRate)
        let samples = window.samples
        let logits = try classifier.holding(classifier.initialState).logits(.init(shape: [1] + classifier.inputShape, storage: samples)).storage
        let predicted = logits.indices.max { logits[$0] < logits[$1] }!
        var scores: [Scores] = []
        for method in methods {
            let started = Date()
            let result = try method.run(
                samples, kind: signal.kind, classifier: classifier, settings: settings,
                options: options, target: predicted)
            let explained = Date().timeIntervalSince(started)
            let scorer = FaithfulnessMetrics(
                model: classifier.holding(classifier.initialState), representation: result.representation,
                maxBatch: classifier.engine.options.maxBatch, scale: classifier.scale)
            for row in Self.rows(methods: [method], orders: orders) {
                let scored = Date()
                let values = try score(result, scorer: scorer, logits: logits, target: predicted, order: row.order)
                scores.append(
                    Scores(
                        file: example.url.path, label: example.label, predicted: classifier.labels[predicted], method: method,
                        reference: method.isReference, order: row.order, values: values,
                        seconds: explained + Date().timeIntervalSince(scored)))
            }
        }
        return scores
    }

    /// The chosen metrics of one attribution with its features ranked in `order`.
    private func score(
        _ result: EvaluationMethod.Result, scorer: FaithfulnessMetrics, logits: [Float], target: Int, order: RankingOrder
    ) throws -> [String: Double] {
        let (coefficients, attribution) = (result.coefficients, result.attribution)
        var values: [String: Double] = [:]
        if metrics.contains(where: { [.insertion, .deletion, .faithfulness].contains($0) }) {
            let curves = try scorer.insertionDeletion(
                coefficients: coefficients, attribution: attribution, target: target, steps: insertionSteps, order: order)
            values["insertion"] = curves.insertion.area
            values["deletion"] = curves.deletion.area
            values["faithfulness"] = curves.insertion.area - curves.deletion.area
        }
        if metrics.contains(.mufidelity) {
            values["mufidelity"] = try scorer.muFidelity(coefficients: coefficients, attribution: attribution, target: target)
        }
        if metrics.contains(.ff) {
            let removed = try scorer.logits(coefficients: coefficients, attribution: attribution, fraction: 0.5, keep: false, order: order)
            values["ff"] = Double(logits[target] - removed[target])
        }
        if metrics.contains(.fidin) {
            let kept = try scorer.logits(coefficients: coefficients, attribution: attribution, fraction: 0.5, keep: true, order: order)
            values["fidin"] = kept.indices.max { kept[$0] < kept[$1] } == target ? 1 : 0
        }
        return values.filter { metrics.map(\.rawValue).contains($0.key) }
    }

    /// Per row and metric: the mean, the median for FF, the share of agreements for Fid-In.
    public static func summarize(_ scores: [Scores], rows: [Row], metrics: [Metric]) -> [Row: [Metric: Double]] {
        var table: [Row: [Metric: Double]] = [:]
        for row in rows {
            let matching = scores.filter { $0.method == row.method && $0.order == row.order }
            for metric in metrics {
                let values = matching.compactMap { $0.values[metric.rawValue] }.sorted()
                guard !values.isEmpty else { continue }
                table[row, default: [:]][metric] =
                    metric == .ff
                    ? (values[(values.count - 1) / 2] + values[values.count / 2]) / 2
                    : values.reduce(0, +) / Double(values.count)
            }
        }
        return table
    }
}
