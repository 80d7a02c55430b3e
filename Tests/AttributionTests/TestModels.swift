import Attribution
import Inference
import NDArray

/// `logit_c(x) = u_c + curvature * u_c^3` with `u_c = w_c . x`: linear when `curvature` is 0, and
/// with a known gradient `w_c (1 + 3 curvature u_c^2)` otherwise.
struct CubicClassifier: DifferentiableClassifier {
    let inputShape: [Int]
    let weights: [[Float]]
    let curvature: Float

    var classCount: Int { weights.count }

    init(inputShape: [Int], classes: Int, curvature: Float, seed: UInt64) {
        self.inputShape = inputShape
        self.curvature = curvature
        var numbers = SeededNumbers(seed: seed)
        let size = inputShape.reduce(1, *)
        weights = (0..<classes).map { _ in (0..<size).map { _ in Float(numbers.next()) / Float(size).squareRoot() } }
    }

    func projections(_ example: ArraySlice<Float>) -> [Float] {
        weights.map { w in zip(w, example).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    func logits(_ batch: NDArray<Float>) throws -> NDArray<Float> {
        let size = inputShape.reduce(1, *), count = batch.shape[0]
        var out: [Float] = []
        for n in 0..<count {
            out += projections(batch.storage[(n * size)..<((n + 1) * size)]).map { $0 + curvature * $0 * $0 * $0 }
        }
        return NDArray(shape: [count, classCount], storage: out)
    }

    func inputGradient(_ batch: NDArray<Float>, classes: [Int]) throws -> (logits: NDArray<Float>, gradient: NDArray<Float>) {
        let size = inputShape.reduce(1, *), count = batch.shape[0]
        var gradient: [Float] = []
        for n in 0..<count {
            let u = projections(batch.storage[(n * size)..<((n + 1) * size)])[classes[n]]
            gradient += weights[classes[n]].map { $0 * (1 + 3 * curvature * u * u) }
        }
        return (try logits(batch), NDArray(shape: batch.shape, storage: gradient))
    }
}

/// Deterministic numbers in [-1, 1) for test data, from the module's own seeded generator.
struct SeededNumbers {
    private var generator: SeededNormal

    init(seed: UInt64) { generator = SeededNormal(seed: seed) }

    mutating func next() -> Double { 2 * generator.nextUniform() - 1 }

    mutating func signal(_ count: Int) -> [Float] { (0..<count).map { _ in Float(next()) } }
}
