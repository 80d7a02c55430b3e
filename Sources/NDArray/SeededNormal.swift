import Foundation

/// Standard normal numbers from a seed (xoshiro256** with Box-Muller): the same seed gives the
/// same noise on every machine.
public struct SeededNormal: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spare: Double?

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Next uniform number in (0, 1).
    public mutating func nextUniform() -> Double {
        func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return (Double(result >> 11) + 0.5) / Double(1 << 53)
    }

    /// Next standard normal number.
    public mutating func next() -> Double {
        if let value = spare {
            spare = nil
            return value
        }
        let radius = (-2 * log(nextUniform())).squareRoot(), angle = 2 * Double.pi * nextUniform()
        spare = radius * sin(angle)
        return radius * cos(angle)
    }

    /// `count` normal numbers with standard deviation `deviation`.
    public mutating func samples(_ count: Int, deviation: Double) -> [Float] {
        (0..<count).map { _ in Float(next() * deviation) }
    }
}
