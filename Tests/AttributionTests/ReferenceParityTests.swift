import ArrayIO
import Foundation
import Inference
import NDArray
import NumericTestSupport
import ONNX
import Testing
import Wavelets

@testable import Attribution

/// WAM computed by the engine and the wavelet core agrees with an independent float64
/// PyTorch + pywt computation (`Tools/samples/make_wam_fixtures.py`, see Fixtures/README.md).
@Suite struct ReferenceParityTests {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples")

    static let cases: [String] =
        (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path))?
        .filter { $0.hasSuffix(".npz") }.sorted() ?? []

    struct Case {
        let arrays: [String: NpyArray]
        let explainer: Explainer
        let transform: WaveletTransform
        let model: InferenceEngine

        func double(_ key: String) -> [Double] { arrays[key]!.asDouble.storage }
        func float(_ key: String) -> [Float] { arrays[key]!.asFloat.storage }
        func int(_ key: String) -> Int { arrays[key]!.asIntegers![0] }
    }

    static func load(_ name: String) throws -> Case {
        let arrays = Dictionary(uniqueKeysWithValues: try NpzArchive.read(fixtures.appendingPathComponent(name)).map { ($0.key, $0.array) })
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("index.json")))
        let entry = try #require(((index as? [String: Any])?["cases"] as? [[String: Any]])?.first { ($0["file"] as? String) == name })
        let modelFile = try #require(entry["model"] as? String)
        let model = try ONNXModel(
            contentsOf: samples.appendingPathComponent("models").appendingPathComponent(
                URL(fileURLWithPath: modelFile).lastPathComponent)
        ).makeEngine(options: EngineOptions(maxBatch: 8))
        let shape = model.inputShape
        let transform = try WaveletTransform(
            wavelet: try Wavelet(try #require(entry["wavelet"] as? String)),
            mode: try ExtensionMode(parsing: try #require(entry["mode"] as? String)),
            signalShape: shape, levels: arrays["levels"]!.asIntegers![0],
            axes: Array(1..<shape.count))
        return Case(
            arrays: arrays, explainer: try Explainer(model: model, representation: transform, maxBatch: 8),
            transform: transform, model: model)
    }

    /// Max-abs difference over max-abs reference.
    @Test("every reference case is present: 5 audio, 2 image, 1 volume")
    func inventory() {
        #expect(Self.cases.filter { $0.hasPrefix("audio-") }.count == 5)
        #expect(Self.cases.filter { $0.hasPrefix("image-") }.count == 2)
        #expect(Self.cases.filter { $0.hasPrefix("volume-") }.count == 1)
    }

    @Test("logits, coefficients, WAM gradient, interpretation and insertion/deletion", arguments: cases)
    func gradient(name: String) throws {
        let c = try Self.load(name)
        let x = c.float("x"), target = c.int("target")
        let logits = try c.model.logits(NDArray(shape: [1] + c.model.inputShape, storage: x)).storage
        #expect(relativeError(logits, c.double("logits").map(Float.init)) < 1e-4, "logits")
        #expect(relativeError(c.transform.encode(x), c.float("coeffs")) < 1e-5, "coefficients")
        let explanation = try c.explainer.explain(x, method: .gradient, target: target)
        #expect(explanation.target == target)
        #expect(relativeError(explanation.attribution, c.float("wam_grad")) < 1e-3, "WAM gradient")
        let profile = ScaleProfile(attribution: explanation.attribution, layout: c.transform.layout)
        let expectedLevels = c.double("profile_levels_grad")
        #expect(zip(profile.levels.map(\.importance), expectedLevels).allSatisfy { abs($0 - $1) < 1e-4 }, "level profile")
        #expect(zip(profile.bands.map(\.importance), c.double("profile_bands_grad")).allSatisfy { abs($0 - $1) < 1e-4 }, "band profile")
        let interpretation = try Interpretation.signal(
            coefficients: explanation.coefficients, attribution: explanation.attribution,
            rule: .top(fraction: 0.1), representation: c.transform, layout: c.transform.layout)
        #expect(relativeError(interpretation, c.float("interp_grad")) < 1e-3, "interpretation")
        let metrics = FaithfulnessMetrics(model: c.model, representation: c.transform, maxBatch: 8)
        let curves = try metrics.insertionDeletion(
            coefficients: explanation.coefficients, attribution: explanation.attribution,
            target: target, steps: c.int("eval_K"))
        #expect(abs(curves.insertion.area - c.double("insertion_auc_grad")[0]) < 1e-3, "insertion AUC")
        #expect(abs(curves.deletion.area - c.double("deletion_auc_grad")[0]) < 1e-3, "deletion AUC")
    }

    @Test("WAM_IG (m = 32) and its completeness gap", arguments: cases)
    func integratedGradients(name: String) throws {
        let c = try Self.load(name)
        let explanation = try c.explainer.explain(
            c.float("x"), method: .intgrad(IntegratedGradientsOptions(steps: .fixed(c.int("ig_steps")))),
            target: c.int("target"))
        #expect(relativeError(explanation.attribution, c.float("wam_ig")) < 1e-3, "WAM_IG")
        let report = try #require(explanation.integration)
        #expect(abs(report.relativeGap - c.double("ig_gap_relative")[0]) < 1e-3, "relative gap")
        let profile = ScaleProfile(attribution: explanation.attribution, layout: c.transform.layout)
        #expect(zip(profile.levels.map(\.importance), c.double("profile_levels_ig")).allSatisfy { abs($0 - $1) < 1e-4 })
        let interpretation = try Interpretation.signal(
            coefficients: explanation.coefficients, attribution: explanation.attribution,
            rule: .top(fraction: 0.1), representation: c.transform, layout: c.transform.layout)
        #expect(relativeError(interpretation, c.float("interp_ig")) < 1e-3, "interpretation")
    }

    @Test("WAM_SG with the stored noise", arguments: cases)
    func smoothGrad(name: String) throws {
        let c = try Self.load(name)
        let noise = c.arrays["sg_noise"]!.asFloat
        let count = noise.shape[0], size = noise.count / count
        let perturbations = (0..<count).map { Array(noise.storage[($0 * size)..<(($0 + 1) * size)]) }
        let explanation = try c.explainer.explain(
            c.float("x"), method: .smoothgrad(SmoothGradOptions(samples: count)),
            target: c.int("target"), noise: perturbations)
        #expect(relativeError(explanation.attribution, c.float("wam_sg")) < 1e-3, "WAM_SG")
    }
}
