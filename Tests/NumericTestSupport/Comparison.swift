import NDArray

/// `max |actual - expected| / max |expected|` (the plain maximum difference when `expected` is
/// all zeros): the error measure of every parity test. Infinity when the lengths differ, so that
/// a truncated or padded result never passes.
public func relativeError<Actual: Collection, Expected: Collection>(_ actual: Actual, _ expected: Expected) -> Double
where Actual.Element: BinaryFloatingPoint, Expected.Element: BinaryFloatingPoint {
    guard actual.count == expected.count else { return .infinity }
    var difference = 0.0, scale = 0.0
    for (a, e) in zip(actual, expected) {
        let (a, e) = (Double(a), Double(e))
        // NaN anywhere makes the error NaN, which fails every `<` comparison.
        if a.isNaN || e.isNaN { return .nan }
        difference = max(difference, abs(a - e))
        scale = max(scale, abs(e))
    }
    return scale > 0 ? difference / scale : difference
}

/// `relativeError` of two arrays; infinity when their shapes differ.
public func relativeError<Element: BinaryFloatingPoint>(_ actual: NDArray<Element>, _ expected: NDArray<Element>) -> Double {
    guard actual.shape == expected.shape else { return .infinity }
    return relativeError(actual.storage, expected.storage)
}

/// A small seeded generator (SplitMix64), so tests draw the same numbers on every run.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    public mutating func nextSigned() -> Float {
        Float(Double(next() >> 11) / Double(1 << 52) - 1)
    }

    /// `count` values uniform in [-1, 1).
    public mutating func values<T: BinaryFloatingPoint>(_ count: Int) -> [T] {
        (0..<count).map { _ in T(Double(next() >> 11) / Double(1 << 52) - 1) }
    }

    /// An array of `shape` with uniform values in [-1, 1).
    public mutating func array(_ shape: [Int]) -> NDArray<Float> {
        NDArray(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in nextSigned() })
    }
}

/// `sum(a * b)` in double precision; NaN when the lengths differ.
public func dot<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    guard a.count == b.count else { return .nan }
    return zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// `dot` of two arrays' elements; NaN when their shapes differ.
public func dot<Element: BinaryFloatingPoint>(_ a: NDArray<Element>, _ b: NDArray<Element>) -> Double {
    a.shape == b.shape ? dot(a.storage, b.storage) : .nan
}
