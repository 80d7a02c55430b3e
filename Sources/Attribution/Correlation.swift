/// Correlation coefficients for the evaluation metrics.
public enum Correlation {
    /// Pearson's correlation; 0 when either series is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }

    /// Spearman's rank correlation (average ranks for ties).
    public static func spearman(_ a: [Float], _ b: [Float]) -> Double {
        pearson(ranks(a), ranks(b))
    }

    /// Ranks from 0, ties sharing their average rank.
    static func ranks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let average = Double(start + end) / 2
            for k in start...end { ranks[order[k]] = average }
            start = end + 1
        }
        return ranks
    }
}
