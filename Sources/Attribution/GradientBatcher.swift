import Inference
import NDArray

/// Evaluates a model on many inputs in batches of at most `maxBatch` examples, so that memory
/// stays bounded whatever the number of SmoothGrad samples or integration steps. Results are
/// handed over in input order, so they do not depend on `maxBatch`.
struct GradientBatcher: Sendable {
    let model: any DifferentiableClassifier
    let maxBatch: Int

    /// For every input `i` of `count` (made by `input(i)`, each of the model's example shape),
    /// the gradient of logit `target` with respect to the input, passed to `consume(i, gradient)`
    /// in order.
    func gradients(
        count: Int, target: Int, input: (Int) -> [Float],
        consume: (Int, ArraySlice<Float>) throws -> Void
    ) throws {
        let size = model.inputShape.reduce(1, *)
        try batches(count: count, input: input) { start, chunk, batch in
            let gradient = try model.inputGradient(batch, classes: Array(repeating: target, count: chunk)).gradient
            for k in 0..<chunk { try consume(start + k, gradient.storage[(k * size)..<((k + 1) * size)]) }
        }
    }

    /// The mean over `points` of the gradient of logit `target` with respect to the input.
    func meanGradient(at points: GradientPoints, target: Int) throws -> [Float] {
        try model.meanInputGradient(at: points, target: target, maxBatch: maxBatch)
    }

    /// Logits of every input (forward passes only).
    func logits(count: Int, input: (Int) -> [Float]) throws -> [[Float]] {
        let classes = model.classCount
        var result: [[Float]] = []
        try batches(count: count, input: input) { _, chunk, batch in
            let logits = try model.logits(batch)
            for k in 0..<chunk { result.append(Array(logits.storage[(k * classes)..<((k + 1) * classes)])) }
        }
        return result
    }

    /// Calls `body(start, count, batch)` for consecutive chunks of at most `maxBatch` inputs.
    private func batches(count: Int, input: (Int) -> [Float], _ body: (Int, Int, NDArray<Float>) throws -> Void) throws {
        let size = model.inputShape.reduce(1, *)
        var start = 0
        while start < count {
            let chunk = min(maxBatch, count - start)
            var storage: [Float] = []
            storage.reserveCapacity(chunk * size)
            for i in start..<(start + chunk) { storage.append(contentsOf: input(i)) }
            try body(start, chunk, NDArray(shape: [chunk] + model.inputShape, storage: storage))
            start += chunk
        }
    }
}
