import Foundation
import Testing

@testable import NDArray

/// The seeded normal generator behind SmoothGrad noise: standard normal numbers, reproducible
/// from the seed, and the vectorized logarithm and sine/cosine its Box-Muller transform uses.
struct SeededNormalTests {
    @Test func samplesFollowTheStandardNormalLaw() {
        var generator = SeededNormal(seed: 17)
        let values = generator.samples(200_000, deviation: 1).map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        let fraction = { (bound: Double) in Double(values.filter { abs($0) <= bound }.count) / Double(values.count) }
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.015)
        #expect(abs(fraction(1) - 0.6827) < 0.005)
        #expect(abs(fraction(2) - 0.9545) < 0.003)
        #expect(abs(fraction(3) - 0.9973) < 0.001)
        // Both halves of each Box-Muller pair (cosines at even places, sines at odd) are centred.
        for parity in 0..<2 {
            let half = stride(from: parity, to: values.count, by: 2).map { values[$0] }
            #expect(abs(half.reduce(0, +) / Double(half.count)) < 0.015)
            #expect(abs(Double(half.filter { $0 < 0 }.count) / Double(half.count) - 0.5) < 0.01)
        }
        // Neighbours are independent.
        let lagged = zip(values, values.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 } / Double(values.count - 1)
        #expect(abs(lagged) < 0.01)
    }

    @Test func theSeedFixesTheStream() {
        var first = SeededNormal(seed: 3), second = SeededNormal(seed: 3), other = SeededNormal(seed: 4)
        let long = first.samples(21, deviation: 2)
        #expect(second.samples(13, deviation: 2) == Array(long.prefix(13)))
        #expect(other.samples(21, deviation: 2) != long)
        #expect(long.allSatisfy { $0.isFinite && abs($0) < 2 * 6 })
    }

    @Test func logarithmAndSineCosineMatchTheSystemLibrary() {
        var (logError, trigError): (Double, Double) = (0, 0)
        let count = 200_000
        for block in stride(from: 0, to: count, by: 8) {
            var (u, t) = (SIMD8<Float>(), SIMD8<Float>())
            for lane in 0..<8 {
                u[lane] = (Float(block + lane) + 0.5) / Float(count)
                t[lane] = Float(block + lane) / Float(count - 1)
            }
            let logarithm = SeededNormal.logarithm(u)
            let (sine, cosine) = SeededNormal.sineAndCosine(turns: t)
            for lane in 0..<8 {
                let exact = Foundation.log(Double(u[lane])), angle = 2 * Double.pi * Double(t[lane])
                logError = max(logError, abs(Double(logarithm[lane]) - exact) / max(abs(exact), 1e-30))
                trigError = max(trigError, abs(Double(sine[lane]) - sin(angle)), abs(Double(cosine[lane]) - cos(angle)))
            }
        }
        #expect(logError < 3e-7)
        #expect(trigError < 3e-7)
        // The smallest uniform the generator draws, and values around the mantissa split at sqrt(1/2).
        let edges = SIMD8<Float>(0x1p-25, 0x1p-24, 1e-6, 0.5, 0.70710677, 0.70710683, 0.9999999, 1)
        let logarithm = SeededNormal.logarithm(edges)
        for lane in 0..<8 {
            #expect(abs(Double(logarithm[lane]) - Foundation.log(Double(edges[lane]))) <= 3e-7 * max(1, abs(Foundation.log(Double(edges[lane])))))
        }
    }
}
