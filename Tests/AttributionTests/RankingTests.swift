import Attribution
import Testing

/// `Ranking`: features by decreasing `|a|`, ties by increasing index (METHOD.md section 5).
struct RankingTests {
    @Test func ordersByMagnitudeThenIndex() {
        var numbers = SeededNumbers(seed: 11)
        // Many ties (values on a coarse grid, both signs, signed zeros) and a few distinct values.
        var attribution = (0..<5000).map { _ in (Float(numbers.next()) * 8).rounded() / 4 }
        attribution += [0, -0.0, 1e-30, -1e-30, 3.5, -3.5, .greatestFiniteMagnitude]
        let expected = attribution.indices.sorted { i, j in
            let (a, b) = (abs(attribution[i]), abs(attribution[j]))
            return a != b ? a > b : i < j
        }
        let ranking = Ranking(attribution)
        #expect(ranking.order == expected)
        #expect(ranking.order.first == attribution.count - 1)
        let mask = ranking.keepMask(top: ranking.count(fraction: 0.1))
        #expect(mask.reduce(0, +) == Float(attribution.count / 10))
        let kept: [Float] = attribution.indices.filter { mask[$0] == 1 }.map { abs(attribution[$0]) }
        let dropped: [Float] = attribution.indices.filter { mask[$0] == 0 }.map { abs(attribution[$0]) }
        #expect(kept.min()! >= dropped.max()!)
    }
}
