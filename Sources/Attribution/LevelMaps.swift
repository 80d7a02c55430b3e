import Wavelets

/// `|a|` of each level on the grid of the signal (images and volumes): every band of the level
/// (all orientations and channels) stretched to the signal's size by nearest neighbour and summed.
public enum LevelMaps {
    /// One map per level, the approximation first, then from the coarsest detail level to the
    /// finest; each has the extents of the transformed axes, row-major.
    public static func maps(attribution: [Float], layout: CoefficientLayout) -> [(name: String, values: [Float])] {
        let extents = layout.axes.map { layout.signalShape[$0] }
        let count = extents.reduce(1, *)
        let groups = LevelGroups(layout)
        return zip(groups.levels, groups.ranges).map { info, ranges in
            var map = [Float](repeating: 0, count: count)
            for range in ranges {
                let band = layout.bands.first { $0.range == range }!
                let strides = (0..<band.shape.count).map { band.shape[($0 + 1)...].reduce(1, *) }
                let channels = band.shape.indices.filter { !layout.axes.contains($0) }
                let channelCount = channels.map { band.shape[$0] }.reduce(1, *)
                for position in 0..<count {
                    // Multi-index on the signal grid, mapped to the band's grid.
                    var remainder = position, offset = 0
                    for (i, axis) in layout.axes.enumerated().reversed() {
                        let coordinate = remainder % extents[i]
                        remainder /= extents[i]
                        offset += (coordinate * band.shape[axis] / extents[i]) * strides[axis]
                    }
                    var sum: Float = 0
                    for c in 0..<channelCount {
                        var channelOffset = 0, rest = c
                        for axis in channels.reversed() {
                            channelOffset += (rest % band.shape[axis]) * strides[axis]
                            rest /= band.shape[axis]
                        }
                        sum += abs(attribution[band.offset + offset + channelOffset])
                    }
                    map[position] += sum
                }
            }
            return ((info.isApproximation ? "A" : "D") + "\(info.level)", map)
        }
    }
}
