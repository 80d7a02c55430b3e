import Wavelets

/// `|a|` per level on a common grid of positions along one transformed axis (time, for audio):
/// the picture of where and at what scale the model looks (METHOD.md section 4).
public struct Scalogram: Sendable, Equatable, Codable {
    /// Row names from the finest detail level to the approximation: `D1`, `D2`, ..., `AJ`.
    public let rows: [String]
    /// `values[row][bin]`: the largest `|a|` among the row's coefficients that fall in the bin
    /// (summed over channels and orientations at the same position).
    public let values: [[Float]]

    /// The scalogram of a transform with exactly one transformed axis; coefficient `k` of a band
    /// with `n` coefficients sits at position `(k + 0.5) / n` of the signal (boundary
    /// coefficients are spread over the duration with the rest).
    /// - Returns: nil when the layout transforms more than one axis.
    public init?(attribution: [Float], layout: CoefficientLayout, bins: Int) {
        guard layout.axes.count == 1, bins > 0 else { return nil }
        let axis = layout.axes[0]
        let groups = LevelGroups(layout)
        var rows: [String] = [], values: [[Float]] = []
        for (info, ranges) in zip(groups.levels, groups.ranges).reversed() {
            var row = [Float](repeating: 0, count: bins)
            for range in ranges {
                let band = layout.bands.first { $0.range == range }!
                let extent = band.shape[axis], inner = band.shape[(axis + 1)...].reduce(1, *)
                var column = [Float](repeating: 0, count: extent)
                for (offset, value) in attribution[range].enumerated() {
                    column[(offset / inner) % extent] += abs(value)
                }
                for b in 0..<bins {
                    let first = b * extent / bins, last = max(first + 1, (b + 1) * extent / bins)
                    row[b] = max(row[b], column[min(first, extent - 1)..<min(last, extent)].max() ?? 0)
                }
            }
            rows.append((info.isApproximation ? "A" : "D") + "\(info.level)")
            values.append(row)
        }
        self.rows = rows
        self.values = values
    }
}
