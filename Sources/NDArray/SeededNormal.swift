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
        let (first, second) = nextPair()
        spare = second
        return first
    }

    /// `count` normal numbers with standard deviation `deviation` (the numbers `next` would give).
    public mutating func samples(_ count: Int, deviation: Double) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            if index < count, let value = spare {
                spare = nil
                buffer[index] = Float(value * deviation)
                index += 1
            }
            while index + 1 < count {
                let (first, second) = nextPair()
                buffer[index] = Float(first * deviation)
                buffer[index + 1] = Float(second * deviation)
                index += 2
            }
            if index < count { buffer[index] = Float(next() * deviation) }
            initialized = count
        }
    }

    /// Two independent standard normal numbers by the Box-Muller transform: `r cos(θ)` and
    /// `r sin(θ)`, the cosine taken from the sine (one trigonometric call per pair).
    private mutating func nextPair() -> (Double, Double) {
        let radius = (-2 * log(nextUniform())).squareRoot(), angle = 2 * Double.pi * nextUniform()
        let sine = sin(angle)
        let cosine = (1 - sine * sine).squareRoot()
        return (radius * (angle > Double.pi / 2 && angle < 3 * Double.pi / 2 ? -cosine : cosine), radius * sine)
    }
}
