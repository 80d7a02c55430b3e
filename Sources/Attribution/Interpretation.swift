import Wavelets

/// Which coefficients an interpretation keeps (METHOD.md section 4).
public enum InterpretationRule: Sendable, Equatable {
    /// The top fraction `q` of all coefficients, ranked by `|a|` or by `a` (`order`).
    case top(fraction: Double, order: RankingOrder = .magnitude)
    /// In every level, the coefficients with `|a| > eps * max |a|` of that level.
    case perLevel(threshold: Double)
    /// The top fraction `q` by the evidence `|a z|` averaged over `width` neighbouring
    /// coefficients of the same band: a listenable interpretation that keeps the energy the model
    /// relies on (README, "Denoising by explanation": better than by |a|, below block thresholding).
    case topEvidence(fraction: Double, width: Int)
}

/// The listenable (or viewable) explanation: the input rebuilt from its most important coefficients.
public enum Interpretation {
    /// `W^-1(z * mask)` where the mask keeps what `rule` selects.
    /// - Throws: when the fraction or threshold is outside its range.
    public static func signal(
        coefficients: [Float], attribution: [Float], rule: InterpretationRule,
        representation: any SignalRepresentation,
        layout: CoefficientLayout?
    ) throws(AttributionError) -> [Float] {
        rebuild(
            coefficients: coefficients, mask: try mask(attribution: attribution, coefficients: coefficients, rule: rule, layout: layout),
            representation: representation)
    }

    /// `W^-1(z * mask)`, for a mask already computed.
    public static func rebuild(coefficients: [Float], mask: [Float], representation: any SignalRepresentation) -> [Float] {
        representation.decode(zip(coefficients, mask).map { $0 * $1 })
    }

    /// The 0/1 keep-mask of `rule` over the coefficients.
    public static func mask(
        attribution: [Float], coefficients: [Float], rule: InterpretationRule,
        layout: CoefficientLayout?
    ) throws(AttributionError) -> [Float] {
        func top(_ scores: [Float], _ fraction: Double, _ order: RankingOrder = .magnitude) throws(AttributionError) -> [Float] {
            guard fraction > 0, fraction <= 1 else {
                throw .invalidParameter(name: "keep", value: "\(fraction)", expected: "a fraction in (0, 1]")
            }
            let ranking = Ranking(scores, order: order)
            let count = ranking.count(fraction: fraction)
            guard count > 0 || scores.isEmpty else {
                throw .invalidParameter(
                    name: "keep", value: "\(fraction)",
                    expected: "a fraction keeping at least one of the \(scores.count) coefficients (at least \(1 / Double(scores.count)))")
            }
            return ranking.keepMask(top: count)
        }
        switch rule {
        case let .top(fraction, order):
            return try top(attribution, fraction, order)
        case let .topEvidence(fraction, width):
            guard width >= 1 else { throw .invalidParameter(name: "width", value: "\(width)", expected: "1 or more coefficients") }
            let evidence = zip(attribution, coefficients).map { abs($0 * $1) }
            return try top(layout.map { BandSmoothing.average(evidence, layout: $0, width: width) } ?? evidence, fraction)
        case let .perLevel(threshold):
            guard threshold >= 0, threshold < 1 else {
                throw .invalidParameter(name: "threshold", value: "\(threshold)", expected: "a fraction in [0, 1)")
            }
            var mask = [Float](repeating: 0, count: attribution.count)
            let groups = layout.map { LevelGroups($0).ranges } ?? [[0..<attribution.count]]
            for ranges in groups {
                let peak = ranges.flatMap { attribution[$0] }.map(abs).max() ?? 0
                for range in ranges {
                    for i in range where abs(attribution[i]) > Float(threshold) * peak { mask[i] = 1 }
                }
            }
            return mask
        }
    }
}

/// The flat-vector ranges of each level: the approximation alone, then every detail level with
/// all its orientations.
struct LevelGroups {
    let ranges: [[Range<Int>]]
    let levels: [(level: Int, isApproximation: Bool)]

    init(_ layout: CoefficientLayout) {
        var ranges: [[Range<Int>]] = [], levels: [(Int, Bool)] = []
        for band in layout.bands {
            if band.isApproximation || levels.last.map({ $0.0 != band.level || $0.1 }) ?? true {
                ranges.append([band.range])
                levels.append((band.level, band.isApproximation))
            } else {
                ranges[ranges.count - 1].append(band.range)
            }
        }
        self.ranges = ranges
        self.levels = levels
    }
}

/// Moving averages within the bands of a coefficient vector.
public enum BandSmoothing {
    /// Each value replaced by the mean of the `width` values around it in the same band.
    public static func average(_ values: [Float], layout: CoefficientLayout, width: Int) -> [Float] {
        var result = values
        let half = width / 2
        for band in layout.bands {
            let slice = values[band.range]
            for i in slice.indices {
                let window = slice[max(slice.startIndex, i - half)...min(slice.endIndex - 1, i + half)]
                result[i] = window.reduce(0, +) / Float(window.count)
            }
        }
        return result
    }
}
