import Inference
import NDArray
import Testing
import Wavelets

@testable import Attribution

@Suite struct MethodTests {
    static let length = 256

    static func transform(_ wavelet: String, mode: ExtensionMode = .symmetric, levels: Int = 4) throws -> WaveletTransform {
        try WaveletTransform(wavelet: try Wavelet(wavelet), mode: mode, signalShape: [1, length], levels: levels, axes: [-1])
    }

    @Test("gradient of a linear model is (W^-1)^T w, the adjoint and not the analysis, for a biorthogonal wavelet")
    func linearGradient() throws {
        let model = CubicClassifier(inputShape: [1, Self.length], classes: 3, curvature: 0, seed: 1)
        let transform = try Self.transform("bior2.2")
        let explainer = try Explainer(model: model, representation: transform)
        var numbers = SeededNumbers(seed: 2)
        let explanation = try explainer.explain(numbers.signal(Self.length), method: .gradient, target: 1)
        let adjoint = transform.reconstructionAdjoint(values: model.weights[1].map(Double.init))
        let analysis = transform.decompose(values: model.weights[1].map(Double.init))
        let error = zip(explanation.attribution, adjoint).map { abs(Double($0) - $1) }.max()!
        #expect(error < 1e-5 * adjoint.map(abs).max()!)
        let distance = zip(explanation.attribution, analysis).map { abs(Double($0) - $1) }.max()!
        #expect(distance > 1e-2, "the analysis transform must not stand in for the adjoint of synthesis")
        #expect(explanation.target == 1 && explanation.gradientEvaluations == 1)
    }

    @Test("the target defaults to the model's top class")
    func defaultTarget() throws {
        let model = CubicClassifier(inputShape: [1, Self.length], classes: 5, curvature: 0.1, seed: 3)
        var numbers = SeededNumbers(seed: 4)
        let signal = numbers.signal(Self.length)
        let explanation = try Explainer(model: model, representation: try Self.transform("db4")).explain(signal, method: .gradient)
        let logits = try model.logits(NDArray(shape: [1, 1, Self.length], storage: signal)).storage
        #expect(explanation.target == logits.indices.max { logits[$0] < logits[$1] })
    }

    @Test("integrated gradients: exact for a linear model, and the gap shrinks with more steps on a cubic")
    func completeness() throws {
        var numbers = SeededNumbers(seed: 5)
        let signal = numbers.signal(Self.length).map { $0 * 3 }
        let linear = try Explainer(
            model: CubicClassifier(inputShape: [1, Self.length], classes: 2, curvature: 0, seed: 6),
            representation: try Self.transform("db2"))
        let exact = try linear.explain(signal, method: .intgrad(IntegratedGradientsOptions(steps: .fixed(1))), target: 0)
        #expect(abs(exact.integration!.relativeGap) < 1e-4)
        let cubic = try Explainer(
            model: CubicClassifier(inputShape: [1, Self.length], classes: 2, curvature: 2, seed: 6),
            representation: try Self.transform("db2"))
        let gaps = try [2, 8, 32].map { steps in
            abs(
                try cubic.explain(signal, method: .intgrad(IntegratedGradientsOptions(steps: .fixed(steps))), target: 0)
                    .integration!.relativeGap)
        }
        #expect(gaps[0] > gaps[1] && gaps[1] > gaps[2], "gaps \(gaps)")
        #expect(gaps[2] < 1e-2)
    }

    @Test("auto steps reach the tolerance and report what they spent")
    func adaptiveSteps() throws {
        var numbers = SeededNumbers(seed: 7)
        let signal = numbers.signal(Self.length).map { $0 * 3 }
        let cubic = try Explainer(
            model: CubicClassifier(inputShape: [1, Self.length], classes: 2, curvature: 2, seed: 6),
            representation: try Self.transform("db2"), maxBatch: 8)
        let result = try cubic.explain(
            signal, method: .intgrad(IntegratedGradientsOptions(steps: .auto(tolerance: 1e-3, maxSteps: 256))),
            target: 0)
        let report = try #require(result.integration)
        #expect(report.converged)
        #expect(abs(report.relativeGap) <= 1e-3 * 1.01)
        #expect(report.steps == result.gradientEvaluations && report.steps <= 256)
        let capped = try cubic.explain(
            signal, method: .intgrad(IntegratedGradientsOptions(steps: .auto(tolerance: 1e-12, maxSteps: 12))),
            target: 0)
        #expect(capped.integration!.steps <= 12)
        #expect(!capped.integration!.converged)
    }

    @Test("smoothgrad: the same seed gives the same result, another seed another one")
    func seeds() throws {
        let explainer = try Explainer(
            model: CubicClassifier(inputShape: [1, Self.length], classes: 2, curvature: 1, seed: 8),
            representation: try Self.transform("sym4"))
        var numbers = SeededNumbers(seed: 9)
        let signal = numbers.signal(Self.length)
        let options = SmoothGradOptions(samples: 6, spread: 0.2, seed: 42)
        let first = try explainer.explain(signal, method: .smoothgrad(options), target: 0).attribution
        let again = try explainer.explain(signal, method: .smoothgrad(options), target: 0).attribution
        var other = options
        other.seed = 43
        let different = try explainer.explain(signal, method: .smoothgrad(other), target: 0).attribution
        #expect(first == again)
        #expect(first != different)
    }

    @Test("results do not depend on the batch size", arguments: [1, 3, 64])
    func batchInvariance(maxBatch: Int) throws {
        let model = CubicClassifier(inputShape: [1, Self.length], classes: 3, curvature: 1, seed: 10)
        var numbers = SeededNumbers(seed: 11)
        let signal = numbers.signal(Self.length)
        let methods: [AttributionMethod] = [
            .gradient,
            .smoothgrad(SmoothGradOptions(samples: 10, spread: 0.1, seed: 1)),
            .intgrad(IntegratedGradientsOptions(steps: .fixed(9))),
        ]
        let reference = try Explainer(model: model, representation: try Self.transform("db3"), maxBatch: 1000)
        let batched = try Explainer(model: model, representation: try Self.transform("db3"), maxBatch: maxBatch)
        for method in methods {
            let expected = try reference.explain(signal, method: method, target: 2).attribution
            let actual = try batched.explain(signal, method: method, target: 2).attribution
            #expect(actual == expected, "\(method.name) with maxBatch \(maxBatch)")
        }
    }

    @Test("bad requests get clear errors")
    func errors() throws {
        let model = CubicClassifier(inputShape: [1, Self.length], classes: 3, curvature: 0, seed: 12)
        let explainer = try Explainer(model: model, representation: try Self.transform("haar"))
        var signal = [Float](repeating: 0.5, count: Self.length)
        #expect(throws: AttributionError.unknownClass(7, classCount: 3)) { try explainer.explain(signal, method: .gradient, target: 7) }
        signal[3] = .nan
        #expect(throws: AttributionError.nonFiniteInput(index: 3)) { try explainer.explain(signal, method: .gradient) }
        #expect(throws: AttributionError.self) { try Explainer(model: model, representation: InputRepresentation(signalShape: [1, 100])) }
        #expect(throws: AttributionError.invalidParameter(name: "keep", value: "1.5", expected: "a fraction in (0, 1]")) {
            try Interpretation.mask(attribution: [1, 2, 3], coefficients: [1, 1, 1], rule: .top(fraction: 1.5), layout: nil)
        }
        #expect(throws: AttributionError.self) {
            try explainer.explain([Float](repeating: 0, count: Self.length), method: .intgrad(IntegratedGradientsOptions(steps: .fixed(0))))
        }
    }
}
