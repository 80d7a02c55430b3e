import Attribution
import Foundation
import NDArray
import Wavelets

/// Denoising by explanation (`wam eval --denoise`): each clean clip is mixed with white noise at
/// a signal-to-noise ratio, the noisy mix is explained, and its interpretations are compared
/// with the clean clip by SI-SDR, next to the estimators that need no model (wavelet
/// thresholding: the largest |z|; block thresholding: |z| averaged over `w` coefficients of a
/// band) and an oracle that keeps the largest clean coefficients.
public struct DenoisingEvaluation: Sendable {
    public let classifier: Classifier
    public let settings: ExplanationSettings
    public let options: MethodOptions
    public let methods: [EvaluationMethod]
    public let snr: Double
    public var fractions: [Double] = [0.02, 0.05, 0.1, 0.2, 0.3]
    public var thresholds: [Double] = [0.1, 0.2, 0.3]
    /// Neighbourhoods (coefficients of a band) over which |a z| is averaged before ranking.
    public var smoothingWidths: [Int] = [5, 9, 17]
    public var seed: UInt64 = 0

    public init(
        classifier: Classifier, settings: ExplanationSettings, options: MethodOptions, methods: [EvaluationMethod],
        snr: Double
    ) {
        self.classifier = classifier
        self.settings = settings
        self.options = options
        self.methods = methods.filter { $0.isWavelet && !$0.isReference }
        self.snr = snr
    }

    /// SI-SDR (dB) of every estimator on one clip: `rows[name][fraction or threshold]`.
    public struct Clip: Codable, Sendable {
        public var file: String
        public var noisy: Double
        public var rows: [String: [String: Double]]
    }

    /// The names of the estimators that need no model, in the order tables show them.
    public func referenceNames() -> [String] {
        ["oracle |z clean|"] + MaskEstimators.referenceNames(widths: smoothingWidths)
    }

    public func evaluate(_ example: LabelledSet.Example, index: Int, sampleRate: Double) throws -> Clip {
        let (signal, window) = try InputReader.first(url: example.url, exampleShape: classifier.inputShape, sampleRate: sampleRate)
        guard signal.kind == .audio else { throw WorkflowError(source: example.url.path, reason: "--denoise needs audio inputs") }
        let clean = window.samples
        let power = clean.reduce(0.0) { $0 + Double($1 * $1) } / Double(clean.count)
        guard power > 0 else {
            throw WorkflowError(source: example.url.path, reason: "is silent: no noise level gives it an SNR, and SI-SDR needs a signal")
        }
        var generator = SeededNormal(seed: seed &+ UInt64(index))
        let noisy = zip(clean, generator.samples(clean.count, deviation: (power / pow(10, snr / 10)).squareRoot())).map { $0 + $1 }
        let transform = try settings.transform(exampleShape: classifier.inputShape, kind: .audio)
        let z = transform.encode(noisy)
        func score(_ keep: [Float]) -> Double { MaskEstimators.siSDR(transform.decode(zip(z, keep).map { $0 * $1 }), reference: clean) }
        func byFraction(_ ranking: [Float]) -> [String: Double] {
            let order = Ranking(ranking)
            return Dictionary(uniqueKeysWithValues: fractions.map { ("\($0)", score(order.keepMask(top: order.count(fraction: $0)))) })
        }
        let estimators = MaskEstimators(coefficients: z, layout: transform.layout, widths: smoothingWidths)
        var scores = estimators.references()
        scores["oracle |z clean|"] = transform.encode(clean)
        let target = try classifier.classIndex(example.label)
        var rows: [String: [String: Double]] = [:]
        for method in methods {
            let result = try method.run(noisy, kind: .audio, classifier: classifier, settings: settings, options: options, target: target)
            scores.merge(estimators.guided(by: result.attribution, method: method.rawValue)) { $1 }
            rows["\(method.rawValue) per-level"] = Dictionary(
                uniqueKeysWithValues: try thresholds.map { threshold in
                    (
                        "eps \(threshold)",
                        score(
                            try Interpretation.mask(
                                attribution: result.attribution, coefficients: z,
                                rule: .perLevel(threshold: threshold), layout: transform.layout))
                    )
                })
        }
        for (name, ranking) in scores { rows[name] = byFraction(ranking) }
        return Clip(file: example.url.path, noisy: MaskEstimators.siSDR(noisy, reference: clean), rows: rows)
    }
}
