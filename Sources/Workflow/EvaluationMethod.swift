import Attribution
import Foundation
import NDArray
import Wavelets

/// The sampling settings of the methods `wam eval` compares.
public struct MethodOptions: Sendable {
    public var smoothgrad: SmoothGradOptions
    public var intgrad: IntegratedGradientsOptions
    /// GradCAM's feature map.
    public var gradcamLayer: String?
    /// Seed of the random references.
    public var seed: UInt64

    public init(
        smoothgrad: SmoothGradOptions = SmoothGradOptions(), intgrad: IntegratedGradientsOptions = IntegratedGradientsOptions(),
        gradcamLayer: String? = nil, seed: UInt64 = 0
    ) {
        self.smoothgrad = smoothgrad
        self.intgrad = intgrad
        self.gradcamLayer = gradcamLayer
        self.seed = seed
    }
}

/// The methods `wam eval` compares: WAM in the wavelet domain, the input-domain baselines, and
/// the references that need no model (a seeded random ranking and the coefficients' own
/// magnitude, in each domain), which a method must beat to mean anything.
public enum EvaluationMethod: String, Spelled, Codable {
    case wamGradient = "wam-gradient"
    case wamSmoothgrad = "wam-smoothgrad"
    case wamIntgrad = "wam-intgrad"
    case saliency
    case smoothgrad
    case intgrad
    case inputxgrad
    case gradcam
    /// Reference: a seeded random ranking of the wavelet coefficients.
    case random
    /// Reference: the wavelet coefficients ranked by their own magnitude `|z|`.
    case magnitude
    /// Reference: a seeded random ranking of the input samples.
    case inputRandom = "input-random"
    /// Reference: the input samples ranked by their magnitude `|x|`.
    case inputMagnitude = "input-magnitude"

    /// Whether the method's features are wavelet coefficients (else input samples).
    public var isWavelet: Bool { rawValue.hasPrefix("wam-") || self == .random || self == .magnitude }

    /// Whether the method is a model-free reference rather than an explanation.
    public var isReference: Bool { [.random, .magnitude, .inputRandom, .inputMagnitude].contains(self) }

    /// The order the method's attribution is ranked in by default (METHOD.md section 5): signed
    /// for the methods whose attribution is a contribution to the score (integrated gradients,
    /// input x gradient: positive is evidence for the class, negative against it), magnitude for
    /// gradients (their sign says which way a feature would move the score, not whether it
    /// supports it). The references and saliency are non-negative: both orders agree.
    public var naturalOrder: RankingOrder {
        switch self {
        case .wamIntgrad, .intgrad, .inputxgrad: .signed
        default: .magnitude
        }
    }

    /// An attribution with the representation its features live in.
    public struct Result: Sendable {
        public let representation: any SignalRepresentation
        public let coefficients: [Float]
        public let attribution: [Float]
        public let target: Int
    }

    /// Runs the method on one example, with the wavelet transform of `settings` and the sampling
    /// of `options`.
    public func run(
        _ signal: [Float], kind: SignalKind, classifier: Classifier, settings: ExplanationSettings,
        options: MethodOptions, target: Int
    ) throws -> Result {
        let model = classifier.holding(classifier.initialState)
        let maxBatch = classifier.engine.options.maxBatch
        let wavelets = try settings.transform(exampleShape: classifier.inputShape, kind: kind)
        let input = InputRepresentation(signalShape: classifier.inputShape)
        /// A reference: `score` of the representation's own coefficients.
        func reference(_ representation: any SignalRepresentation, _ score: ([Float]) -> [Float]) -> Result {
            let coefficients = representation.encode(signal)
            return Result(representation: representation, coefficients: coefficients, attribution: score(coefficients), target: target)
        }
        func explain(_ representation: any SignalRepresentation, _ method: AttributionMethod) throws -> Result {
            let explanation = try Explainer(model: model, representation: representation, maxBatch: maxBatch)
                .explain(signal, method: method, target: target)
            return Result(
                representation: representation, coefficients: explanation.coefficients,
                attribution: explanation.attribution, target: target)
        }
        let smoothing = AttributionMethod.smoothgrad(options.smoothgrad)
        let integrating = AttributionMethod.intgrad(options.intgrad)
        switch self {
        case .wamGradient: return try explain(wavelets, .gradient)
        case .wamSmoothgrad: return try explain(wavelets, smoothing)
        case .wamIntgrad: return try explain(wavelets, integrating)
        case .smoothgrad: return try explain(input, smoothing)
        case .intgrad: return try explain(input, integrating)
        case .saliency:
            let gradient = try explain(input, .gradient)
            return Result(representation: input, coefficients: signal, attribution: gradient.attribution.map(abs), target: target)
        case .inputxgrad:
            let gradient = try explain(input, .gradient)
            return Result(
                representation: input, coefficients: signal, attribution: zip(signal, gradient.attribution).map { $0 * $1 },
                target: target)
        case .gradcam:
            guard let layer = options.gradcamLayer else {
                throw WorkflowError(source: "--gradcam-layer", reason: "GradCAM needs the name of a feature map (see `wam model info`)")
            }
            let map = try GradCAM(model: model, layer: layer).attribution(signal, target: target)
            return Result(representation: input, coefficients: signal, attribution: map, target: target)
        case .magnitude: return reference(wavelets) { $0.map(abs) }
        case .inputMagnitude: return reference(input) { $0.map(abs) }
        case .random: return reference(wavelets) { Self.randomScores(count: $0.count, signal: signal, seed: options.seed) }
        case .inputRandom: return reference(input) { Self.randomScores(count: $0.count, signal: signal, seed: options.seed) }
        }
    }

    /// Uniform scores in (0, 1), reproducible: seeded by `seed` and the signal's samples, so
    /// every input gets its own random ranking and the same input always the same one.
    static func randomScores(count: Int, signal: [Float], seed: UInt64) -> [Float] {
        let hash = signal.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1.bitPattern)) &* 0x100_0000_01b3 }  // FNV-1a
        var generator = SeededNormal(seed: seed ^ hash)
        return (0..<count).map { _ in Float(generator.nextUniform()) }
    }
}
