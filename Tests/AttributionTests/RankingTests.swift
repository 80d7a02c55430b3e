import Attribution
import Foundation
import Inference
import NDArray
import Testing

/// `Ranking`: features by decreasing `|a|` (or `a`), ties by increasing index (METHOD.md section 5).
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

    @Test("signed order: largest a first, counter-evidence last, both zeros tied, ties by index")
    func ordersBySignedValueThenIndex() {
        var numbers = SeededNumbers(seed: 12)
        var attribution = (0..<5000).map { _ in (Float(numbers.next()) * 8).rounded() / 4 }
        attribution += [0, -0.0, 1e-30, -1e-30, 3.5, -3.5, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        let expected = attribution.indices.sorted { i, j in
            attribution[i] != attribution[j] ? attribution[i] > attribution[j] : i < j
        }
        let ranking = Ranking(attribution, order: .signed)
        #expect(ranking.order == expected)
        #expect(ranking.order.first == attribution.count - 2)
        #expect(ranking.order.last == attribution.count - 1)
    }
}

/// Insertion and deletion curves in both orders on a model whose every number is known.
struct SignedInsertionTests {
    /// Two classes: `logit_0 = w . x`, `logit_1 = 0`.
    struct LinearClassifier: DifferentiableClassifier {
        let weights: [Float]
        var inputShape: [Int] { [weights.count] }
        var classCount: Int { 2 }

        func logits(_ batch: NDArray<Float>) throws -> NDArray<Float> {
            let rows = (0..<batch.shape[0]).flatMap { n -> [Float] in
                [zip(weights, batch.storage[(n * weights.count)..<((n + 1) * weights.count)]).reduce(0) { $0 + $1.0 * $1.1 }, 0]
            }
            return NDArray(shape: [batch.shape[0], 2], storage: rows)
        }

        func inputGradient(_ batch: NDArray<Float>, classes: [Int]) throws -> (logits: NDArray<Float>, gradient: NDArray<Float>) {
            let gradient = classes.flatMap { $0 == 0 ? weights : [Float](repeating: 0, count: weights.count) }
            return (try logits(batch), NDArray(shape: batch.shape, storage: gradient))
        }
    }

    /// Whether `curve` is `p_0` of the logits `l` against 0, to rounding.
    static func close(_ curve: [Double], _ l: [Double]) -> Bool {
        curve.count == l.count && zip(curve, l).allSatisfy { abs($0 - 1 / (1 + exp(-$1))) < 1e-12 }
    }

    @Test("signed order keeps the positive evidence first: insertion rises at once; by |a| the counter-evidence comes first")
    func handBuiltCurves() throws {
        // x = 1 everywhere, so the attribution x * w (integrated gradients, exact here) is w itself.
        let weights: [Float] = [2, 1, -3, 0]
        let x: [Float] = [1, 1, 1, 1]
        let metrics = FaithfulnessMetrics(
            model: LinearClassifier(weights: weights), representation: InputRepresentation(signalShape: [4]), maxBatch: 4)
        let signed = try metrics.insertionDeletion(coefficients: x, attribution: weights, target: 0, steps: 4, order: .signed)
        let magnitude = try metrics.insertionDeletion(coefficients: x, attribution: weights, target: 0, steps: 4, order: .magnitude)
        // Signed: 2, 1, 0, -3 kept in turn; by magnitude: -3, 2, 1, 0.
        #expect(Self.close(signed.insertion.probabilities, [0, 2, 3, 3, 0]))
        #expect(Self.close(signed.deletion.probabilities, [0, -2, -3, -3, 0]))
        #expect(Self.close(magnitude.insertion.probabilities, [0, -3, -1, 0, 0]))
        #expect(Self.close(magnitude.deletion.probabilities, [0, 3, 1, 0, 0]))
        #expect(signed.insertion.area > magnitude.insertion.area)
        #expect(signed.deletion.area < magnitude.deletion.area)
        let kept = try metrics.logits(coefficients: x, attribution: weights, fraction: 0.5, keep: true, order: .signed)
        #expect(kept == [3, 0])
    }
}
