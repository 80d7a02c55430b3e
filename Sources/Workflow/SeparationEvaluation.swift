import Attribution
import Foundation
import Wavelets

/// Extracting one class from a two-class mixture by explanation (`wam eval --separate`): two
/// clips of different classes are mixed at equal power, the mixture is explained once for each
/// class, and each explanation's interpretation is compared by SI-SDR with that class's source.
/// The estimators that need no model give the same output whatever class is asked for; they
/// are scored against each source too, next to an oracle keeping the source's largest
/// coefficients.
public struct SeparationEvaluation: Sendable {
    public let classifier: Classifier
    public let settings: ExplanationSettings
    public let options: MethodOptions
    public let methods: [EvaluationMethod]
    public var fractions: [Double] = [0.02, 0.05, 0.1, 0.2, 0.3]
    public var smoothingWidths: [Int] = [5, 9, 17]

    public init(classifier: Classifier, settings: ExplanationSettings, options: MethodOptions, methods: [EvaluationMethod]) {
        self.classifier = classifier
        self.settings = settings
        self.options = options
        self.methods = methods.filter { $0.isWavelet && !$0.isReference }
    }

    /// The names of the estimators that need no model, in the order tables show them.
    public func referenceNames() -> [String] {
        ["oracle |z source|"] + MaskEstimators.referenceNames(widths: smoothingWidths)
    }

    /// The pairs to mix: each group's examples taken class by class in turn (so every class of a
    /// group is used), the k-th of `first` with the k-th of `second`, at most `limit` pairs.
    public static func pairs(
        _ examples: [LabelledSet.Example], first: Set<String>, second: Set<String>, limit: Int? = nil
    ) -> [(LabelledSet.Example, LabelledSet.Example)] {
        let a = LabelledSet.interleaved(examples.filter { first.contains($0.label) })
        let b = LabelledSet.interleaved(examples.filter { second.contains($0.label) })
        return Array(zip(a, b).prefix(limit ?? .max))
    }

    /// Two rows per pair, one per class extracted: SI-SDR (dB) against that class's source of
    /// every estimator at every kept fraction; `noisy` is the mixture's SI-SDR against it.
    public func evaluate(_ pair: (LabelledSet.Example, LabelledSet.Example), sampleRate: Double) throws -> [DenoisingEvaluation.Clip] {
        func first(_ example: LabelledSet.Example) throws -> [Float] {
            let (signal, window) = try InputReader.first(url: example.url, exampleShape: classifier.inputShape, sampleRate: sampleRate)
            guard signal.kind == .audio else { throw WorkflowError(source: example.url.path, reason: "--separate needs audio inputs") }
            return window.samples
        }
        let a = try first(pair.0), unscaled = try first(pair.1)
        func power(_ x: [Float]) -> Double { x.reduce(0.0) { $0 + Double($1 * $1) } / Double(max(x.count, 1)) }
        guard power(a) > 0, power(unscaled) > 0 else {
            throw WorkflowError(source: "\(pair.0.url.path) + \(pair.1.url.path)", reason: "a silent clip cannot be mixed at equal power")
        }
        let gain = Float((power(a) / power(unscaled)).squareRoot())
        let b = unscaled.map { $0 * gain }
        let mixture = zip(a, b).map { $0 + $1 }
        let transform = try settings.transform(exampleShape: classifier.inputShape, kind: .audio)
        let z = transform.encode(mixture)
        let estimators = MaskEstimators(coefficients: z, layout: transform.layout, widths: smoothingWidths)
        let shared = estimators.references()
        var clips: [DenoisingEvaluation.Clip] = []
        for (example, source) in [(pair.0, a), (pair.1, b)] {
            func byFraction(_ ranking: [Float]) -> [String: Double] {
                let order = Ranking(ranking)
                return Dictionary(
                    uniqueKeysWithValues: fractions.map { fraction in
                        let keep = order.keepMask(top: order.count(fraction: fraction))
                        return ("\(fraction)", MaskEstimators.siSDR(transform.decode(zip(z, keep).map { $0 * $1 }), reference: source))
                    })
            }
            var scores = shared
            scores["oracle |z source|"] = transform.encode(source)
            let target = try classifier.classIndex(example.label)
            for method in methods {
                let result = try method.run(mixture, kind: .audio, classifier: classifier, settings: settings, options: options, target: target)
                scores.merge(estimators.guided(by: result.attribution, method: method.rawValue)) { $1 }
            }
            clips.append(
                DenoisingEvaluation.Clip(
                    file: "\(pair.0.url.lastPathComponent) + \(pair.1.url.lastPathComponent): \(example.label)",
                    noisy: MaskEstimators.siSDR(mixture, reference: source), rows: scores.mapValues(byFraction)))
        }
        return clips
    }
}
