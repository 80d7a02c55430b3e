import Attribution
import Foundation
import NDArray
import Wavelets

/// Denoising by explanation (`wam eval --denoise`): each clean clip is mixed with white noise at
/// a signal-to-noise ratio, the noisy mix is explained, and its interpretations are compared
/// with the clean clip by SI-SDR, next to classical wavelet thresholding (no model) and an
/// oracle that keeps the largest clean coefficients.
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
        self.methods = methods.filter(\.isWavelet)
        self.snr = snr
    }

    /// SI-SDR (dB) of every estimator on one clip: `rows[name][fraction or threshold]`.
    public struct Clip: Codable, Sendable {
        public var file: String
        public var noisy: Double
        public var rows: [String: [String: Double]]
    }

    public func evaluate(_ example: LabelledSet.Example, index: Int, sampleRate: Double) throws -> Clip {
        let (signal, window) = try InputReader.first(url: example.url, exampleShape: classifier.inputShape, sampleRate: sampleRate)
        guard signal.kind == .audio else { throw WorkflowError(source: example.url.path, reason: "--denoise needs audio inputs") }
        let clean = window.samples
        let power = clean.reduce(0.0) { $0 + Double($1 * $1) } / Double(clean.count)
        var generator = SeededNormal(seed: seed &+ UInt64(index))
        let noisy = zip(clean, generator.samples(clean.count, deviation: (power / pow(10, snr / 10)).squareRoot())).map { $0 + $1 }
        let transform = try settings.transform(exampleShape: classifier.inputShape, kind: .audio)
        let z = transform.encode(noisy), cleanZ = transform.encode(clean)
        func score(_ keep: [Float]) -> Double { Self.siSDR(transform.decode(zip(z, keep).map { $0 * $1 }), reference: clean) }
        func byFraction(_ ranking: [Float]) -> [String: Double] {
            let order = Ranking(ranking)
            return Dictionary(uniqueKeysWithValues: fractions.map { ("\($0)", score(order.keepMask(top: order.count(fraction: $0)))) })
        }
        var rows: [String: [String: Double]] = [
            "thresholding |z|": byFraction(z),
            "oracle |z clean|": byFraction(cleanZ),
        ]
        let target = try classifier.classIndex(example.label)
        for method in methods {
            let result = try method.run(noisy, kind: .audio, classifier: classifier, settings: settings, options: options, target: target)
            let az = zip(result.attribution, z).map { $0 * $1 }
            rows["\(method.rawValue) |a|"] = byFraction(result.attribution)
            rows["\(method.rawValue) |a z|"] = byFraction(az)
            rows["\(method.rawValue) |z| where a > 0"] = byFraction(zip(result.attribution, z).map { $0 > 0 ? $1 : 0 })
            for width in smoothingWidths {
                rows["\(method.rawValue) |a z| smoothed \(width)"] = byFraction(
                    BandSmoothing.average(az.map(abs), layout: transform.layout, width: width))
            }
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
        return Clip(file: example.url.path, noisy: Self.siSDR(noisy, reference: clean), rows: rows)
    }

    /// Scale-invariant signal-to-distortion ratio in dB.
    public static func siSDR(_ estimate: [Float], reference: [Float]) -> Double {
        let dot = zip(estimate, reference).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let energy = reference.reduce(0.0) { $0 + Double($1 * $1) }
        guard energy > 0 else { return -.infinity }
        let scale = dot / energy
        var target = 0.0, error = 0.0
        for (e, r) in zip(estimate, reference) {
            let projected = scale * Double(r)
            target += projected * projected
            error += (Double(e) - projected) * (Double(e) - projected)
        }
        return 10 * log10(target / max(error, 1e-30))
    }
}
