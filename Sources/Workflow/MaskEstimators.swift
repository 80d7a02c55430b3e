import Attribution
import Foundation
import Wavelets

/// The rankings that choose which wavelet coefficients of a noisy or mixed signal to keep, for
/// `wam eval --denoise` and `--separate`: each maps to one score per coefficient, kept largest
/// first (by magnitude).
public struct MaskEstimators: Sendable {
    /// The coefficients of the signal being cleaned.
    public let coefficients: [Float]
    public let layout: CoefficientLayout
    /// Neighbourhoods (coefficients of a band) over which scores are averaged.
    public let widths: [Int]
    /// `|z|` averaged over each width.
    private let blocks: [Int: [Float]]

    public init(coefficients: [Float], layout: CoefficientLayout, widths: [Int]) {
        self.coefficients = coefficients
        self.layout = layout
        self.widths = widths
        let magnitude = coefficients.map(abs)
        blocks = Dictionary(uniqueKeysWithValues: widths.map { ($0, BandSmoothing.average(magnitude, layout: layout, width: $0)) })
    }

    /// The names of the estimators that need no model, in the order tables show them.
    public static func referenceNames(widths: [Int]) -> [String] {
        widths.sorted(by: >).map { "block thresholding \($0)" } + ["thresholding |z|"]
    }

    /// The estimators that need no model: wavelet thresholding (the largest |z|) and block
    /// thresholding (|z| averaged over `w` coefficients of a band).
    public func references() -> [String: [Float]] {
        var scores = ["thresholding |z|": coefficients]
        for width in widths { scores["block thresholding \(width)"] = blocks[width]! }
        return scores
    }

    /// The estimators guided by an attribution `a` of `method`: by |a|, by the evidence |a z|
    /// (plain and averaged in a band), by the positive evidence, block thresholding restricted
    /// to where the averaged evidence is, and the two rankings mixed.
    public func guided(by a: [Float], method: String) -> [String: [Float]] {
        let z = coefficients
        let az = zip(a, z).map { $0 * $1 }
        var scores = [
            "\(method) |a|": a,
            "\(method) |a z|": az,
            "\(method) |z| where a > 0": zip(a, z).map { $0 > 0 ? $1 : 0 },
        ]
        for width in widths {
            let evidence = BandSmoothing.average(az.map(abs), layout: layout, width: width)
            let block = blocks[width]!
            scores["\(method) |a z| smoothed \(width)"] = evidence
            // Block thresholding where the model's evidence is: the top half by averaged |a z|.
            let relied = Ranking(evidence).keepMask(top: evidence.count / 2)
            scores["\(method) block |z| where evidence \(width)"] = zip(block, relied).map { $0 * $1 }
            scores["\(method) rank mix \(width)"] = Self.meanRank(block, evidence)
            scores["\(method) a z > 0 smoothed \(width)"] = BandSmoothing.average(az.map { max($0, 0) }, layout: layout, width: width)
        }
        return scores
    }

    /// A positive score per feature, larger for a better mean rank in `a` and `b` (by magnitude).
    static func meanRank(_ a: [Float], _ b: [Float]) -> [Float] {
        var score = [Float](repeating: 0, count: a.count)
        for values in [a, b] {
            for (rank, index) in Ranking(values).order.enumerated() { score[index] += Float(a.count - rank) }
        }
        return score
    }

    /// The lowest SI-SDR reported (dB): an estimate with nothing of the reference in it (all
    /// zeros, or orthogonal) scores this rather than minus infinity, so that means stay finite.
    public static let siSDRFloor = -60.0

    /// Scale-invariant signal-to-distortion ratio in dB, at least `siSDRFloor`.
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
        return max(siSDRFloor, 10 * log10(target / max(error, 1e-30)))
    }
}
