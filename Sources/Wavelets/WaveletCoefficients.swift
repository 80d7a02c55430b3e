import NDArray

/// The coefficients of a multilevel decomposition: one flat vector plus the layout that says
/// which band each entry belongs to.
public struct WaveletCoefficients<T: WaveletScalar>: Sendable {
    /// Where each band sits in `values`.
    public let layout: CoefficientLayout
    /// All coefficients, band after band (see `CoefficientLayout`).
    public var values: [T]

    /// Wraps a flat vector; its length must be `layout.count`.
    public init(layout: CoefficientLayout, values: [T]) {
        precondition(
            values.count == layout.count,
            "coefficient vector has \(values.count) entries; layout needs \(layout.count)")
        self.layout = layout
        self.values = values
    }

    /// All-zero coefficients for `layout`.
    public init(zerosFor layout: CoefficientLayout) {
        self.init(layout: layout, values: [T](repeating: 0, count: layout.count))
    }

    /// The coefficients of one band as an array of the band's shape.
    public func band(_ band: CoefficientLayout.Band) -> NDArray<T> {
        NDArray(shape: band.shape, storage: Array(values[band.range]))
    }

    /// Replaces one band's coefficients.
    public mutating func setBand(_ band: CoefficientLayout.Band, to array: NDArray<T>) throws(WaveletError) {
        guard array.shape == band.shape else {
            throw .shapeMismatch(what: "band \(layout.name(of: band))", expected: band.shape, actual: array.shape)
        }
        values.replaceSubrange(band.range, with: array.storage)
    }

    /// Every band with its pywt-style name, in layout order.
    public var namedBands: [(name: String, array: NDArray<T>)] {
        layout.bands.map { (layout.name(of: $0), band($0)) }
    }
}
