import Wavelets

/// Which coefficients an interpretation keeps (METHOD.md section 4).
public enum InterpretationRule: Sendable, Equatable {
    /// The top fraction `q` of all coefficients by `|a|`.
    case top(fraction: Double)
    /// In every level, the coefficients with `|a| > eps * max |a|` of that level.
    case perLevel(threshold: Double)
}

/// The listenable (or viewable) explanation: the input rebuilt from its most important coefficients.
public enum Interpretation {
    /// `W^-1(z * mask)` where the mask keeps what `rule` selects.
    /// - Throws: when the fraction or threshold is outside its range.
    public static func signal(coefficients: [Float], attribution: [Float], rule: InterpretationRule,
                              representation: any SignalRepresentation,
                              layout: CoefficientLayout?) throws(AttributionError) -> [Float] {
        let mask = try self.mask(attribution: attribution, rule: rule, layout: layout)
        return representation.decode(zip(coefficients, mask).map { $0 * $1 })
    }

    /// The 0/1 keep-mask of `rule` over the coefficients.
    public static func mask(attribution: [Float], rule: InterpretationRule,
                            layout: CoefficientLayout?) throws(AttributionError) -> [Float] {
        switch rule {
        case let .top(fraction):
            guard fraction > 0, fraction <= 1 else {
                throw .invalidParameter(name: "keep", value: "\(fraction)", expected: "a fraction in (0, 1]")
            }
            let ranking = Ranking(attribution)
            return ranking.keepMask(top: ranking.count(fraction: fraction))
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
