import Foundation
import NDArray

/// An array as stored in a NumPy `.npy` file: a shape and typed elements.
public enum NpyArray: Sendable, Equatable {
    case float32(NDArray<Float>)
    case float64(NDArray<Double>)
    case int64(NDArray<Int64>)

    /// The array's shape.
    public var shape: [Int] {
        switch self {
        case let .float32(a): a.shape
        case let .float64(a): a.shape
        case let .int64(a): a.shape
        }
    }

    /// NumPy's name of the element type (`float32`, `float64`, `int64`).
    public var dtypeName: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        }
    }

    /// The elements converted to `Float`.
    public var asFloat: NDArray<Float> {
        switch self {
        case let .float32(a): a
        case let .float64(a): a.map { Float($0) }
        case let .int64(a): a.map { Float($0) }
        }
    }

    /// The elements converted to `Double`.
    public var asDouble: NDArray<Double> {
        switch self {
        case let .float32(a): a.map { Double($0) }
        case let .float64(a): a
        case let .int64(a): a.map { Double($0) }
        }
    }

    /// The elements as integers, when they are integers (floats must be whole numbers that fit in `Int`).
    public var asIntegers: [Int]? {
        switch self {
        case let .int64(a): return a.storage.map { Int($0) }
        case let .float32(a): return Self.wholeNumbers(a.storage)
        case let .float64(a): return Self.wholeNumbers(a.storage)
        }
    }

    /// `values` as `Int`s, `nil` unless every one is a whole number in `Int`'s range (so not
    /// infinite, not NaN, not 1e30).
    private static func wholeNumbers<F: BinaryFloatingPoint>(_ values: [F]) -> [Int]? {
        var integers: [Int] = []
        integers.reserveCapacity(values.count)
        for value in values {
            guard let integer = Int(exactly: value) else { return nil }
            integers.append(integer)
        }
        return integers
    }
}
