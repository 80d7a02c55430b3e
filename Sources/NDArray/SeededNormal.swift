import Foundation

/// Normal numbers from a seed (xoshiro256** and the Box-Muller transform in single precision):
/// the same seed gives the same noise on every machine.
public struct SeededNormal: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

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

    /// The next 64 random bits.
    private mutating func nextBits() -> UInt64 {
        func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    /// Next uniform number in (0, 1), with 53 random bits.
    public mutating func nextUniform() -> Double {
        (Double(nextBits() >> 11) + 0.5) * 0x1p-53
    }

    /// `count` normal numbers with mean 0 and standard deviation `deviation`, by the Box-Muller
    /// transform eight pairs at a time: each 64-bit draw gives two 24-bit uniforms `u`, `v` and
    /// the pair `r cos(2 pi v)`, `r sin(2 pi v)` with `r = sqrt(-2 log u)` (so the largest
    /// magnitude is about 5.9 deviations).
    public mutating func samples(_ count: Int, deviation: Double) -> [Float] {
        let scale = Float(deviation)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                var (u, v) = (SIMD8<Float>(), SIMD8<Float>())
                for lane in 0..<8 {
                    let bits = nextBits()
                    u[lane] = (Float(bits >> 40) + 0.5) * 0x1p-24
                    v[lane] = (Float((bits >> 16) & 0xFF_FFFF) + 0.5) * 0x1p-24
                }
                let (cosines, sines) = Self.normalPairs(u, v)
                for lane in 0..<8 where index < count {
                    buffer[index] = scale * cosines[lane]
                    if index + 1 < count { buffer[index + 1] = scale * sines[lane] }
                    index += 2
                }
            }
            initialized = count
        }
    }

    /// The Box-Muller pairs `(r cos(2 pi v), r sin(2 pi v))`, `r = sqrt(-2 log u)`, for `u`, `v` in (0, 1).
    static func normalPairs(_ u: SIMD8<Float>, _ v: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let radius = (-2 * logarithm(u)).squareRoot()
        let (sine, cosine) = sineAndCosine(turns: v)
        return (radius * cosine, radius * sine)
    }

    /// Natural logarithm of positive normal numbers, within about 1 ulp (Cephes' `logf`
    /// polynomial on a mantissa in [sqrt(1/2), sqrt(2))). Branch-free, so it vectorizes.
    static func logarithm(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Offsetting the bits by sqrt(1/2)'s splits x into 2^e * m with m in [sqrt(1/2), sqrt(2)).
        let offset = unsafeBitCast(x, to: SIMD8<Int32>.self) &- 0x3F35_04F3
        let mantissa = unsafeBitCast((offset & 0x7F_FFFF) &+ 0x3F35_04F3, to: SIMD8<Float>.self)
        // 1.5 * 2^23 + e as a Float's bits, minus 1.5 * 2^23: the exponent as a Float.
        let e = unsafeBitCast((offset &>> 23) &+ 0x4B40_0000, to: SIMD8<Float>.self) - 0x1.8p23
        let f = mantissa - 1, f2 = f * f
        var p = 7.0376836292e-2 * f - 1.1514610310e-1
        p = p * f + 1.1676998740e-1
        p = p * f - 1.2420140846e-1
        p = p * f + 1.4249322787e-1
        p = p * f - 1.6668057665e-1
        p = p * f + 2.0000714765e-1
        p = p * f - 2.4999993993e-1
        p = p * f + 3.3333331174e-1
        let y = p * f * f2 - 2.12194440e-4 * e - 0.5 * f2
        return f + y + 0.693359375 * e
    }

    /// `sin(2 pi t)` and `cos(2 pi t)` for `t` in [0, 1], within about 1e-7: the nearest quarter
    /// turn `q` is taken off and Cephes' polynomials evaluate the rest, within an eighth of a
    /// turn; `q` then swaps and negates them. Branch-free, so it vectorizes.
    static func sineAndCosine(turns t: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        // Adding 1.5 * 2^23 rounds 4t to an integer, which the low bits of the sum hold.
        let shifted = 4 * t + 0x1.8p23
        let quadrant = unsafeBitCast(shifted, to: SIMD8<Int32>.self) & 3
        let x = (4 * t - (shifted - 0x1.8p23)) * (Float.pi / 2), z = x * x
        let sine = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * x + x
        let cosine = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1
        // Odd quarters swap sine and cosine; the sine is negative in quarters 2 and 3, the cosine in 1 and 2.
        let swap = 0 &- (quadrant & 1)
        let (sineBits, cosineBits) = (unsafeBitCast(sine, to: SIMD8<Int32>.self), unsafeBitCast(cosine, to: SIMD8<Int32>.self))
        let s = (sineBits & ~swap) | (cosineBits & swap), c = (cosineBits & ~swap) | (sineBits & swap)
        return (
            unsafeBitCast(s ^ ((quadrant & 2) &<< 30), to: SIMD8<Float>.self),
            unsafeBitCast(c ^ (((quadrant &+ 1) & 2) &<< 30), to: SIMD8<Float>.self)
        )
    }
}
