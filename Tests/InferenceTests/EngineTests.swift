import Inference
import NDArray
import NumericTestSupport
import Testing

/// Batching, threads, named tensors and errors of `InferenceEngine`, on small programs.
struct EngineTests {
    /// `logits = W · relu(x * a + b)` with a fan-out (`h` feeds two consumers) and names for GradCAM.
    static func smallClassifier(fixedBatchSize: Int? = nil) -> ClosureCompiler {
        var random = SplitMix64(seed: 21)
        let scale = random.array([1, 6]), weights = random.array([6, 3])
        return ClosureCompiler(exampleShape: [6], fixedBatchSize: fixedBatchSize) { builder, input in
            let scaled = try builder.apply(try Arithmetic(.multiply, input.shape, [1, 6]), to: [input, builder.constant(scale)])
            let hidden = try builder.apply(Elementwise(.relu, shape: scaled.shape, name: "Relu"), to: [scaled])
            let squared = try builder.apply(try Arithmetic(.multiply, hidden.shape, hidden.shape), to: [hidden, hidden])
            let sum = try builder.apply(try Arithmetic(.add, hidden.shape, squared.shape), to: [hidden, squared])
            let logits = try builder.apply(try MatrixProduct(matmul: sum.shape, [6, 3]), to: [sum, builder.constant(weights)])
            builder.name(hidden, "hidden")
            builder.name(logits, "logits")
            return logits
        }
    }

    /// The same classifier's gradients by hand: d/dx of W[:, c] · (h + h²) with h = relu(a x).
    static func expectedGradient(_ x: [Float], target: Int) -> (hidden: [Float], input: [Float]) {
        var random = SplitMix64(seed: 21)
        let scale = random.array([1, 6]).storage, weights = random.array([6, 3]).storage
        let hiddenGradient = (0..<6).map { weights[$0 * 3 + target] * (1 + 2 * max(0, scale[$0] * x[$0])) }
        let inputGradient = (0..<6).map { scale[$0] * x[$0] > 0 ? hiddenGradient[$0] * scale[$0] : 0 }
        return (hiddenGradient, inputGradient)
    }

    @Test func gradientsMatchTheChainRuleAndGradCAMTensorsAreAvailable() throws {
        let engine = try InferenceEngine(compiler: Self.smallClassifier())
        var random = SplitMix64(seed: 4)
        let batch = random.array([5, 6])
        let classes = [0, 2, 1, 2, 0]
        let result = try engine.evaluate(batch, EvaluationRequest(cotangent: .classes(classes), activations: ["hidden"], gradients: ["hidden"]))
        for (example, target) in classes.enumerated() {
            let x = Array(batch.storage[(example * 6)..<((example + 1) * 6)])
            let expected = Self.expectedGradient(x, target: target)
            let slice = (example * 6)..<((example + 1) * 6)
            for (actual, wanted) in zip(result.inputGradient!.storage[slice], expected.input) { #expect(abs(actual - wanted) < 1e-5) }
            for (actual, wanted) in zip(result.gradients["hidden"]!.storage[slice], expected.hidden) { #expect(abs(actual - wanted) < 1e-5) }
        }
        #expect(result.activations["hidden"]!.shape == [5, 6])
        #expect(result.activations["hidden"]!.storage.allSatisfy { $0 >= 0 })
        #expect(engine.tensorNames.contains("hidden"))
    }

    @Test("non-finite inputs give non-finite logits (ReLU passes NaN, as PyTorch does), never plausible numbers")
    func nonFiniteInputsPropagate() throws {
        let engine = try InferenceEngine(compiler: Self.smallClassifier())
        for bad: Float in [.nan, .infinity, -.infinity] {
            let logits = try engine.logits(NDArray(shape: [1, 6], storage: [Float](repeating: bad, count: 6))).storage
            #expect(logits.contains { !$0.isFinite }, "\(bad) gave \(logits)")
        }
        let relu = try InferenceEngine(
            compiler: ClosureCompiler(exampleShape: [3]) { builder, input in
                try builder.apply(Elementwise(.relu, shape: input.shape, name: "Relu"), to: [input])
            })
        let out = try relu.logits(NDArray(shape: [1, 3], storage: [.nan, -2, 3])).storage
        #expect(out[0].isNaN && out[1] == 0 && out[2] == 3)
    }

    @Test func everyChunkingGivesTheSameNumbers() throws {
        var random = SplitMix64(seed: 8)
        let batch = random.array([7, 6])
        let classes = [0, 1, 2, 0, 1, 2, 0]
        let reference = try InferenceEngine(compiler: Self.smallClassifier()).inputGradient(batch, classes: classes)
        for (threads, maxBatch) in [(2, 1), (2, 3), (1, 3), (4, 2)] {
            let engine = try InferenceEngine(compiler: Self.smallClassifier(), options: EngineOptions(threads: threads, maxBatch: maxBatch))
            let result = try engine.inputGradient(batch, classes: classes)
            #expect(relativeError(result.gradient, reference.gradient) < 1e-6)
            #expect(relativeError(result.logits, reference.logits) < 1e-6)
            // Calling again reuses the workspaces and gives the same numbers.
            #expect(try engine.inputGradient(batch, classes: classes).gradient == result.gradient)
        }
    }

    @Test func fixedBatchModelsRunInPaddedChunks() throws {
        var random = SplitMix64(seed: 9)
        let batch = random.array([5, 6])
        let reference = try InferenceEngine(compiler: Self.smallClassifier()).inputGradient(batch, classes: [1, 1, 1, 1, 1])
        let fixed = try InferenceEngine(compiler: Self.smallClassifier(fixedBatchSize: 2), options: EngineOptions(threads: 2))
        let result = try fixed.inputGradient(batch, classes: [1, 1, 1, 1, 1])
        #expect(relativeError(result.gradient, reference.gradient) < 1e-6)
        #expect(result.logits.shape == [5, 3])
    }

    @Test func explicitCotangentsArePulledBack() throws {
        let engine = try InferenceEngine(compiler: Self.smallClassifier())
        var random = SplitMix64(seed: 10)
        let batch = random.array([2, 6])
        let oneHot = NDArray<Float>(shape: [2, 3], storage: [0, 0, 2, 0, 1, 0])
        let viaTensor = try engine.vectorJacobianProduct(batch, cotangent: oneHot).inputGradient
        let viaClasses = try engine.inputGradient(batch, classes: [2, 1]).gradient
        for index in 0..<6 { #expect(abs(viaTensor.storage[index] - 2 * viaClasses.storage[index]) < 1e-6) }
        for index in 6..<12 { #expect(viaTensor.storage[index] == viaClasses.storage[index]) }
    }

    @Test func badRequestsAreRefused() throws {
        let engine = try InferenceEngine(compiler: Self.smallClassifier())
        let batch = NDArray<Float>(shape: [2, 6], repeating: 1)
        #expect(throws: InferenceError.inputShapeMismatch(expected: [-1, 6], actual: [2, 5])) {
            try engine.logits(NDArray(shape: [2, 5], repeating: 1))
        }
        #expect(throws: InferenceError.invalidClasses(classes: [0], batchSize: 2, classCount: 3)) {
            try engine.inputGradient(batch, classes: [0])
        }
        #expect(throws: InferenceError.invalidClasses(classes: [0, 3], batchSize: 2, classCount: 3)) {
            try engine.inputGradient(batch, classes: [0, 3])
        }
        #expect(throws: InferenceError.cotangentShapeMismatch(expected: [2, 3], actual: [2, 4])) {
            try engine.vectorJacobianProduct(batch, cotangent: NDArray(shape: [2, 4], repeating: 0))
        }
        #expect(throws: InferenceError.self) {
            try engine.evaluate(batch, EvaluationRequest(cotangent: .classes([0, 0]), gradients: ["missing"]))
        }
        #expect(throws: InferenceError.self) {
            try engine.evaluate(batch, EvaluationRequest(gradients: ["hidden"]))  // No cotangent.
        }
        #expect(throws: InferenceError.invalidOptions("threads = 0; expected 1 or more")) {
            try InferenceEngine(compiler: Self.smallClassifier(), options: EngineOptions(threads: 0))
        }
        let message = InferenceError.invalidClasses(classes: [0, 3], batchSize: 2, classCount: 3).description
        #expect(message == "class index 3 out of range; expected 0..<3")
    }

    @Test func concurrentCallersShareOneEngine() async throws {
        let engine = try InferenceEngine(compiler: Self.smallClassifier(), options: EngineOptions(threads: 2))
        var random = SplitMix64(seed: 12)
        let batches = (0..<8).map { _ in random.array([3, 6]) }
        let expected = try batches.map { try engine.inputGradient($0, classes: [0, 1, 2]).gradient }
        let results = try await withThrowingTaskGroup(of: (Int, NDArray<Float>).self) { group in
            for (index, batch) in batches.enumerated() {
                group.addTask { (index, try engine.inputGradient(batch, classes: [0, 1, 2]).gradient) }
            }
            return try await group.reduce(into: [Int: NDArray<Float>]()) { $0[$1.0] = $1.1 }
        }
        for index in batches.indices { #expect(results[index] == expected[index]) }
    }

    @Test func emptyBatchesGiveEmptyResults() throws {
        let engine = try InferenceEngine(compiler: Self.smallClassifier())
        let result = try engine.inputGradient(NDArray(shape: [0, 6], repeating: 0), classes: [])
        #expect(result.logits.shape == [0, 3])
        #expect(result.gradient.shape == [0, 6])
    }
}
