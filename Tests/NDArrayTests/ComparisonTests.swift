import NDArray
import NumericTestSupport
import Testing

/// The shared error measures refuse to compare what is not the same length or shape.
struct ComparisonTests {
    @Test("relativeError: scaled by the expected values; infinite for a truncated result, NaN for NaN")
    func relativeErrors() {
        #expect(abs(relativeError([1.0, 2.1], [1.0, 2.0]) - 0.05) < 1e-12)
        #expect(relativeError([Float(1)], [1.0, 2.0]) == .infinity)
        #expect(relativeError([0.5, 0], [0.0, 0.0]) == 0.5)
        #expect(relativeError([Double.nan], [1.0]).isNaN)
        let a = NDArray<Float>(shape: [2, 3], repeating: 1), b = NDArray<Float>(shape: [3, 2], repeating: 1)
        #expect(relativeError(a, b) == .infinity)
        #expect(relativeError(a, a) == 0)
    }

    @Test("dot: NaN when lengths or shapes differ")
    func dots() {
        #expect(dot([1.0, 2.0], [3.0, 4.0]) == 11)
        #expect(dot([1.0], [3.0, 4.0]).isNaN)
        #expect(dot(NDArray<Float>(shape: [2], repeating: 1), NDArray<Float>(shape: [1, 2], repeating: 1)).isNaN)
    }
}
