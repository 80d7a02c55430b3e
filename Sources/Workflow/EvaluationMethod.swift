import Attribution
import Foundation
import Wavelets

/// The sampling settings of the methods `wam eval` compares.
public struct MethodOptions: Sendable {
    public var smoothgrad: SmoothGradOptions
    public var intgrad: IntegratedGradientsOptions
    /// GradCAM's feature map.
    public var gradcamLayer: String?

    public init(
        smoothgrad: SmoothGradOptions = SmoothGradOptions(), intgrad: IntegratedGradientsOptions = IntegratedGradientsOptions(),
        gradcamLayer: String? = nil
    ) {
        self.smoothgrad = smoothgrad
        self.intgrad = intgrad
        self.gradcamLayer = gradcamLayer
    }
}

/// The methods `wam eval` compares: WAM in the wavelet domain and the input-domain baselines.
public enum EvaluationMethod: String, Spelled, Codable {
    case wamGradient = "wam-gradient"
    case wamSmoothgrad = "wam-smoothgrad"
    case wamIntgrad = "wam-intgrad"
    case saliency
    case smoothgrad
    case intgrad
    case inputxgrad
    case gradcam

    public var isWavelet: Bool { rawValue.hasPrefix("wam-") }

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
        let model = classifier.engine
        let maxBatch = model.options.maxBatch
        let wavelets = try settings.transform(exampleShape: classifier.inputShape, kind: kind)
        let input = InputRepresentation(signalShape: classifier.inputShape)
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
        }
    }
}
