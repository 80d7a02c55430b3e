import NDArray
import Testing

/// The seeded normal generator behind SmoothGrad noise: standard normal numbers, the same
/// stream from `samples` as from `next`, and the same stream for the same seed.
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
        // Both halves of each Box-Muller pair are centred: the signs of the cosines are right.
        let evens = stride(from: 0, to: values.count, by: 2).map { values[$0] }
        #expect(abs(evens.reduce(0, +) / Double(evens.count)) < 0.015)
        #expect(Double(evens.filter { $0 < 0 }.count) / Double(evens.count) > 0.49)
    }

    @Test func samplesContinueTheStreamOfNext() {
        var bySamples = SeededNormal(seed: 3), byNext = SeededNormal(seed: 3)
        let drawn = bySamples.samples(5, deviation: 2) + bySamples.samples(4, deviation: 2) + [Float(bySamples.next() * 2)]
        let expected = (0..<10).map { _ in Float(byNext.next() * 2) }
        #expect(drawn == expected)
        var again = SeededNormal(seed: 3), other = SeededNormal(seed: 4)
        var same = SeededNormal(seed: 3)
        #expect(again.samples(10, deviation: 1) == same.samples(10, deviation: 1))
        #expect(again.samples(10, deviation: 1) != other.samples(10, deviation: 1))
    }
}
