import Inference
import NDArray

/// Explains a differentiable classifier's decisions in the coordinates of a representation:
/// WAM when the representation is a `WaveletTransform`, the input-domain baselines with an
/// `InputRepresentation` (METHOD.md sections 2-3).
public struct Explainer: Sendable {
    public let model: any DifferentiableClassifier
    public let representation: any SignalRepresentation
    /// Largest batch sent to the model; bounds memory whatever the samples or steps.
    public let maxBatch: Int

    /// - Throws: `AttributionError.shapeMismatch` when the representation's signal is not one
    ///   model example, `.invalidParameter` for a `maxBatch` below 1.
    public init(model: any DifferentiableClassifier, representation: any SignalRepresentation, maxBatch: Int = 16) throws(AttributionError) {
        guard representation.signalShape == model.inputShape else {
            throw .shapeMismatch(what: "the wavelet transform's signal", expected: model.inputShape, actual: representation.signalShape)
        }
        guard maxBatch >= 1 else { throw .invalidParameter(name: "maxBatch", value: "\(maxBatch)", expected: "1 or more") }
        self.model = model
        self.representation = representation
        self.maxBatch = maxBatch
    }

    /// Explains `signal` (one model example, row-major) for class `target`, or for the model's
    /// top class when `target` is nil.
    ///
    /// - Parameter noise: explicit SmoothGrad perturbations (each of the signal's size) used
    ///   instead of seeded noise, to reproduce a reference computation.
    public func explain(
        _ signal: [Float], method: AttributionMethod, target: Int? = nil,
        noise: [[Float]]? = nil
    ) throws -> Explanation {
        try validate(signal, target: target)
        let batcher = GradientBatcher(model: model, maxBatch: maxBatch)
        let coefficients = representation.encode(signal)
        let rebuilt = representation.decode(coefficients)
        let logits = try batcher.logits(count: 1) { _ in rebuilt }[0]
        let target = target ?? logits.indices.max { logits[$0] < logits[$1] }!
        switch method {
        case .gradient:
            var gradient: [Float] = []
            try batcher.gradients(count: 1, target: target, input: { _ in rebuilt }) { _, g in gradient = Array(g) }
            return Explanation(
                target: target, logits: logits, coefficients: coefficients,
                attribution: representation.decodeAdjoint(gradient), gradientEvaluations: 1,
                forwardEvaluations: 1, integration: nil)
        case let .smoothgrad(options):
            let perturbations = try noise ?? seededNoise(signal, options)
            guard perturbations.count >= 1, perturbations.allSatisfy({ $0.count == signal.count }) else {
                throw AttributionError.invalidParameter(
                    name: "noise", value: "\(perturbations.count) arrays",
                    expected: "at least one array of \(signal.count) values")
            }
            let noisy = GradientPoints.listed(count: perturbations.count) { i in
                representation.decode(representation.encode(zip(signal, perturbations[i]).map { $0 + $1 }))
            }
            let mean = try batcher.meanGradient(at: noisy, target: target)
            return Explanation(
                target: target, logits: logits, coefficients: coefficients,
                attribution: representation.decodeAdjoint(mean), gradientEvaluations: perturbations.count,
                forwardEvaluations: 1, integration: nil)
        case let .intgrad(options):
            return try integratedGradients(
                coefficients: coefficients, rebuilt: rebuilt, logits: logits, target: target,
                options: options, batcher: batcher)
        }
    }

    /// WAM_IG / Integrated Gradients from the zero baseline `z0 = 0` (so `x0 = W^-1(0) = 0`).
    private func integratedGradients(
        coefficients: [Float], rebuilt: [Float], logits: [Float], target: Int,
        options: IntegratedGradientsOptions, batcher: GradientBatcher
    ) throws -> Explanation {
        let baseline = [Float](repeating: 0, count: rebuilt.count)
        let baselineLogit = Double(try batcher.logits(count: 1) { _ in baseline }[0][target])
        let path = PathIntegral(batcher: batcher, target: target, start: baseline, end: rebuilt)
        let result: PathIntegral.Result
        switch options.steps {
        case let .fixed(steps):
            guard steps >= 1 else { throw AttributionError.invalidParameter(name: "steps", value: "\(steps)", expected: "1 or more") }
            result = try path.fixed(steps: steps)
        case let .auto(tolerance, maxSteps):
            guard tolerance > 0, maxSteps >= 1 else {
                throw AttributionError.invalidParameter(
                    name: "steps", value: "auto (tolerance \(tolerance), cap \(maxSteps))",
                    expected: "a tolerance above 0 and a cap of 1 or more")
            }
            result = try path.adaptive(
                tolerance: tolerance, maxSteps: maxSteps, logitAtStart: baselineLogit,
                logitAtEnd: Double(logits[target]))
        }
        let adjoint = representation.decodeAdjoint(result.meanGradient)
        let attribution = zip(coefficients, adjoint).map { $0 * $1 }
        let total = Double(logits[target]) - baselineLogit
        let gap = attribution.reduce(0.0) { $0 + Double($1) } - total
        let report = IntegrationReport(
            steps: result.gradientEvaluations, gap: gap, relativeGap: gap / (total == 0 ? 1 : total),
            expectedTotal: total, converged: result.converged)
        return Explanation(
            target: target, logits: logits, coefficients: coefficients, attribution: attribution,
            gradientEvaluations: result.gradientEvaluations,
            forwardEvaluations: 2 + result.forwardEvaluations, integration: report)
    }

    private func seededNoise(_ signal: [Float], _ options: SmoothGradOptions) throws(AttributionError) -> [[Float]] {
        guard options.samples >= 1 else {
            throw .invalidParameter(name: "samples", value: "\(options.samples)", expected: "1 or more")
        }
        guard options.spread >= 0, options.spread.isFinite else {
            throw .invalidParameter(name: "spread", value: "\(options.spread)", expected: "a finite number of 0 or more")
        }
        let range = Double(signal.max()! - signal.min()!)
        var generator = SeededNormal(seed: options.seed)
        return (0..<options.samples).map { _ in generator.samples(signal.count, deviation: options.spread * range) }
    }

    private func validate(_ signal: [Float], target: Int?) throws(AttributionError) {
        guard signal.count == representation.signalShape.reduce(1, *) else {
            throw .shapeMismatch(what: "input", expected: representation.signalShape, actual: [signal.count])
        }
        if let bad = signal.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteInput(index: bad) }
        if let target, !(0..<model.classCount).contains(target) {
            throw .unknownClass(target, classCount: model.classCount)
        }
    }
}
