import Attribution
import Foundation
import Testing
import Wavelets

@testable import Workflow

/// The JSON document's field names are a public contract: this test freezes them. Changing a
/// name or a meaning means bumping `ExplanationDocument.currentSchemaVersion` and this list.
@Suite struct DocumentContractTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples")

    static let frozenKeys: Set<String> = [
        "cost", "cost.forward_evaluations", "cost.gradient_evaluations", "cost.seconds",
        "completeness", "completeness.converged", "completeness.expected_total", "completeness.gap",
        "completeness.relative_gap", "completeness.steps",
        "files", "files.json", "files.interpretation_wav", "files.picture",
        "input", "input.file", "input.file_channels", "input.file_sample_rate", "input.kind", "input.padded_samples",
        "input.sample_rate", "input.window_count", "input.window_index", "input.window_length", "input.window_start",
        "interpretation", "interpretation.kept_coefficients", "interpretation.keep", "interpretation.rule",
        "interpretation.total_coefficients", "interpretation.order", "interpretation.magnitude_agreement",
        "interpretation.magnitude_agreement.kept_overlap", "interpretation.magnitude_agreement.spearman",
        "method", "method.domain", "method.levels", "method.mode", "method.name", "method.step_rule", "method.steps",
        "method.wavelet",
        "model", "model.classes", "model.file", "model.input_shape", "model.output_scale", "model.sha256",
        "prediction", "prediction.index", "prediction.label", "prediction.logit", "prediction.probability",
        "scale_profile", "scale_profile.bands", "scale_profile.bands[].importance", "scale_profile.bands[].key",
        "scale_profile.bands[].level", "scale_profile.bands[].name",
        "scale_profile.levels", "scale_profile.levels[].frequency_band", "scale_profile.levels[].importance",
        "scale_profile.levels[].is_approximation", "scale_profile.levels[].level", "scale_profile.levels[].name",
        "scalogram", "scalogram.rows", "scalogram.values",
        "schema_version",
        "target", "target.index", "target.label", "target.logit", "target.probability",
        "tool", "tool.name", "tool.version",
        "top_classes", "top_classes[].index", "top_classes[].label", "top_classes[].logit", "top_classes[].probability",
    ]

    static func keyPaths(_ value: Any, prefix: String = "") -> Set<String> {
        var paths: Set<String> = []
        if let object = value as? [String: Any] {
            for (key, child) in object {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                paths.insert(path)
                paths.formUnion(keyPaths(child, prefix: path))
            }
        } else if let array = value as? [Any], let first = array.first, first is [String: Any] {
            paths.formUnion(keyPaths(first, prefix: prefix + "[]"))
        }
        return paths
    }

    @Test("an audio explanation document has exactly the frozen fields, schema version 1")
    func frozenFields() throws {
        let classifier = try Classifier(url: Self.samples.appendingPathComponent("models/audio-resnet.onnx"))
        let (input, window) = try InputReader.first(
            url: Self.samples.appendingPathComponent("audio/piano.wav"),
            exampleShape: classifier.inputShape, sampleRate: 16000)
        let settings = ExplanationSettings(method: .intgrad(IntegratedGradientsOptions(steps: .fixed(4))), wavelet: try Wavelet("db4"))
        let explainer = WindowExplainer(classifier: classifier, settings: settings)
        var result = try explainer.explain(window, of: input)
        result.document.files = .init(json: "piano.json", interpretationWav: "piano.wav", inputWav: nil, picture: "piano.png")
        let data = try ResultWriter.encode(result.document)
        let json = try JSONSerialization.jsonObject(with: data)
        #expect(Self.keyPaths(json) == Self.frozenKeys)
        #expect((json as? [String: Any])?["schema_version"] as? Int == 1)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try decoder.decode(ExplanationDocument.self, from: data) == result.document)
        #expect(result.document.prediction.label == "piano")
        #expect(result.document.scaleProfile.levels.map(\.name) == ["A6", "D6", "D5", "D4", "D3", "D2", "D1"])
        #expect(abs(result.document.scaleProfile.levels.map(\.importance).reduce(0, +) - 1) < 1e-9)
        #expect(result.interpretation.count == 16000)
        #expect(result.document.interpretation.order == "magnitude")
    }

    @Test("the interpretation names its order, and its agreement with ranking by |z| is measured, not assumed")
    func orderAndMagnitudeAgreement() throws {
        let classifier = try Classifier(url: Self.samples.appendingPathComponent("models/audio-resnet.onnx"))
        let (input, window) = try InputReader.first(
            url: Self.samples.appendingPathComponent("audio/piano.wav"), exampleShape: classifier.inputShape, sampleRate: 16000)
        func document(_ rule: InterpretationRule) throws -> ExplanationDocument {
            let settings = ExplanationSettings(
                method: .intgrad(IntegratedGradientsOptions(steps: .fixed(4))), wavelet: try Wavelet("db4"), interpretation: rule)
            return try WindowExplainer(classifier: classifier, settings: settings).explain(window, of: input).document
        }
        let signed = try document(.top(fraction: 0.1, order: .signed))
        let magnitude = try document(.top(fraction: 0.1, order: .magnitude))
        #expect(signed.interpretation.order == "signed")
        #expect(magnitude.interpretation.order == "magnitude")
        let (s, m) = (try #require(signed.interpretation.magnitudeAgreement), try #require(magnitude.interpretation.magnitudeAgreement))
        for agreement in [s, m] {
            #expect((0...1).contains(agreement.keptOverlap))
            #expect((-1...1).contains(agreement.spearman))
        }
        // Signed ranking puts counter-evidence (large |a|, often large |z|) last: it agrees less with |z|.
        #expect(s.spearman < m.spearman)
        #expect(s.keptOverlap != m.keptOverlap)
        // The evidence rule is compared by its averaged score, so the width matters.
        let narrow = try #require(try document(.topEvidence(fraction: 0.1, width: 1)).interpretation.magnitudeAgreement)
        let wide = try #require(try document(.topEvidence(fraction: 0.1, width: 17)).interpretation.magnitudeAgreement)
        #expect(narrow.spearman != wide.spearman)
        // A silent window has no largest coefficients: no agreement is claimed.
        let silent = InputWindow(index: 0, samples: [Float](repeating: 0, count: 16000), startSample: 0, paddedSamples: 0)
        let settings = ExplanationSettings(method: .gradient, wavelet: try Wavelet("db4"))
        #expect(
            try WindowExplainer(classifier: classifier, settings: settings).explain(silent, of: input).document.interpretation.magnitudeAgreement
                == nil)
    }
}
