import Wavelets

/// The wavelet-domain picture of a 2D attribution, arranged as `pywt.coeffs_to_array` does: the
/// approximation top left; at each level, going finer, `cV` (`ad`) to the right, `cH` (`da`)
/// below and `cD` (`dd`) diagonally. Each band is scaled by its own largest `|a|` so that every
/// scale is readable.
public enum Mosaic {
    /// The arranged `|a|` (height x width, row-major), or nil unless exactly two axes are
    /// transformed. Channels are summed.
    public static func arrange(attribution: [Float], layout: CoefficientLayout) -> (width: Int, height: Int, values: [Float])? {
        guard layout.axes.count == 2 else { return nil }
        let (rowAxis, columnAxis) = (layout.axes[0], layout.axes[1])
        func plane(_ band: CoefficientLayout.Band) -> (height: Int, width: Int, values: [Float]) {
            let height = band.shape[rowAxis], width = band.shape[columnAxis]
            var values = [Float](repeating: 0, count: height * width)
            let strides = (0..<band.shape.count).map { band.shape[($0 + 1)...].reduce(1, *) }
            for offset in 0..<band.count {
                let row = offset / strides[rowAxis] % height, column = offset / strides[columnAxis] % width
                values[row * width + column] += abs(attribution[band.offset + offset])
            }
            let peak = values.max() ?? 0
            return (height, width, peak > 0 ? values.map { $0 / peak } : values)
        }
        var current = plane(layout.bands[0])
        for level in stride(from: layout.levels, through: 1, by: -1) {
            func detail(_ key: String) -> (height: Int, width: Int, values: [Float]) {
                plane(layout.bands.first { $0.level == level && $0.key == key }!)
            }
            let (v, h, d) = (detail("ad"), detail("da"), detail("dd"))
            let height = current.height + h.height, width = current.width + v.width
            var values = [Float](repeating: 0, count: height * width)
            func place(_ block: (height: Int, width: Int, values: [Float]), top: Int, left: Int) {
                for r in 0..<block.height {
                    for c in 0..<block.width { values[(top + r) * width + left + c] = block.values[r * block.width + c] }
                }
            }
            place(current, top: 0, left: 0)
            place(v, top: 0, left: current.width)
            place(h, top: current.height, left: 0)
            place(d, top: current.height, left: current.width)
            current = (height, width, values)
        }
        return (current.width, current.height, current.values)
    }
}
