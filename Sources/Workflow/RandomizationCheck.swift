import Attribution
import Foundation

/// The cascading randomisation check (`wam eval --sanity`, METHOD.md section 5): re-initialise
/// the model's parameterised layers one by one from the top down and measure, per method, the
/// Spearman rank correlation between the explanation of the trained model and of the
/// randomised one. A method that explains the model, not the input, decorrelates.
public struct RandomizationCheck: Sendable {
    public let classifier: Classifier
    public let settings: ExplanationSettings
    public let options: MethodOptions
    public let methods: [EvaluationMethod]
    public var seed: UInt64 = 0

    public init(classifier: Classifier, settings: ExplanationSettings, options: MethodOptions, methods: [EvaluationMethod]) {
        self.classifier = classifier
        self.settings = settings
        self.options = options
        self.methods = methods
    }

    /// One randomisation depth: the layers re-initialised so far and each method's mean correlation.
    public struct Step: Codable, Sendable {
        public var layersRandomized: Int
        public var lastLayer: String?
        public var spearman: [String: Double]
    }

    public func run(_ examples: [LabelledSet.Example], sampleRate: Double) throws -> [Step] {
        let signals = try examples.map { try InputReader.first(url: $0.url, exampleShape: classifier.inputShape, sampleRate: sampleRate) }
        func explanations(_ model: Classifier, targets: [Int]) throws -> [[EvaluationMethod: [Float]]] {
            try zip(signals, targets).map { signal, target in
                Dictionary(
                    uniqueKeysWithValues: try methods.map { method in
                        (
                            method,
                            try method.run(
                                signal.window.samples, kind: signal.signal.kind, classifier: model, settings: settings,
                                options: options, target: target
                            ).attribution
                        )
                    })
            }
        }
        let targets = try signals.map { signal -> Int in
            let logits = try classifier.holding(classifier.initialState).logits(
                .init(shape: [1] + classifier.inputShape, storage: signal.window.samples)
            ).storage
            return logits.indices.max { logits[$0] < logits[$1] }!
        }
        let trained = try explanations(classifier, targets: targets)
        let layers = classifier.model.parameterisedLayers
        return try (0...layers.count).map { depth in
            let model = depth == 0 ? classifier : try classifier.randomizingTopLayers(depth, seed: seed)
            let randomized = depth == 0 ? trained : try explanations(model, targets: targets)
            var correlations: [String: Double] = [:]
            for method in methods {
                let values = zip(trained, randomized).map { Correlation.spearman($0[method]!.map(abs), $1[method]!.map(abs)) }
                correlations[method.rawValue] = values.reduce(0, +) / Double(values.count)
            }
            return Step(layersRandomized: depth, lastLayer: depth == 0 ? nil : layers[depth - 1], spearman: correlations)
        }
    }
}
