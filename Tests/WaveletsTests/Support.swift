import ArrayIO
import Foundation
import NDArray
@testable import Wavelets

/// The PyWavelets reference archives, loaded once.
enum Reference {
    static let wavedec1d = load("wavedec1d")
    static let waverec1d = load("waverec1d")
    static let wavedecn = load("wavedecn")

    private static func load(_ name: String) -> [String: NpyArray] {
        let url = Bundle.module.url(forResource: name, withExtension: "npz", subdirectory: "Fixtures")!
        let entries = try! NpzArchive.read(url)
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.array) })
    }
}

/// Largest absolute difference divided by the reference's largest magnitude (at least 1e-300).
func relativeError<T: BinaryFloatingPoint>(_ actual: ArraySlice<T>, _ expected: ArraySlice<Double>) -> Double {
    precondition(actual.count == expected.count)
    var difference = 0.0, scale = 0.0
    for (a, e) in zip(actual, expected) {
        difference = max(difference, abs(Double(a) - e))
        scale = max(scale, abs(e))
    }
    return difference / max(scale, 1e-300)
}

/// Root-mean-square difference of two arrays.
func rmsDifference<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double {
    precondition(a.count == b.count)
    let sum = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0 - $1.1), 2) }
    return (sum / Double(max(a.count, 1))).squareRoot()
}

/// Deterministic pseudo-random numbers in [-1, 1) (SplitMix64), so tests need no shared RNG.
struct TestNumbers {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 52) - 1
    }

    mutating func array<T: BinaryFloatingPoint>(_ count: Int) -> [T] {
        (0..<count).map { _ in T(next()) }
    }
}

/// Inner product in Float64.
func dot<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}
