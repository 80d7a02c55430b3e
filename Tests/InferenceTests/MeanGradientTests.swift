import Inference
import NDArray
import NumericTestSupport
import Testing

/// `meanInputGradient`: the mean of the per-point input gradients, whether the program starts
/// with a convolution (run once backwards on the averaged gradient of its output) or not.
struct MeanGradientTests {
    /// `logits = V · mean_t relu(conv(x))²`-like: a strided convolution reading the input, then
    /// nonlinear layers; with `skip`, the input is also added to the convolution's output, so the
    /// convolution is not the only reader of the input.
    static func convolutionFirst(skip: Bool = false) -> ClosureCompiler {
        ClosureCompiler(exampleShape: [2, 40]) { builder, input in
            var random = SplitMix64(seed: 31)
            let batch = input.shape[0]
            let (weights, bias, head) = (random.array([2, 2, 7]), random.array([2]), random.array([40, 3]))
            let conv = try builder.apply(
                try Convolution(
                    inputShape: input.shape, weights: weights, bias: bias, groups: 1, strides: [1],
                    dilations: [1], padsBegin: [3], padsEnd: [3]), to: [input])
            let mixed = skip ? try builder.apply(try Arithmetic(.add, conv.shape, input.shape), to: [conv, input]) : conv
            let hidden = try builder.apply(Elementwise(.relu, shape: mixed.shape, name: "Relu"), to: [mixed])
            let squared = try builder.apply(try Arithmetic(.multiply, hidden.shape, hidden.shape), to: [hidden, hidden])
            let strided = try builder.apply(
                try Convolution(
                    inputShape: squared.shape, weights: random.array([2, 2, 5]), bias: nil, groups: 1,
                    strides: [2], dilations: [1], padsBegin: [2], padsEnd: [2]), to: [squared])
            let flat = strided.reshaped([batch, 40])!
            return try builder.apply(try MatrixProduct(matmul: flat.shape, [40, 3]), to: [flat, builder.constant(head)])
        }
    }

    /// The mean of `inputGradient` over `points`, in Float64.
    static func expectedMean(_ engine: InferenceEngine, _ points: [[Float]], target: Int) throws -> [Float] {
        let batch = NDArray(shape: [points.count, 2, 40], storage: points.flatMap { $0 })
        let gradient = try engine.inputGradient(batch, classes: Array(repeating: target, count: points.count)).gradient.storage
        var sum = [Double](repeating: 0, count: 80)
        for (index, value) in gradient.enumerated() { sum[index % 80] += Double(value) }
        return sum.map { Float($0 / Double(points.count)) }
    }

    static func maxError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(1e-12, b.map { abs($0) }.max()!)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [false, true])
    func listedPointsAverageTheirGradients(skip: Bool) throws {
        var random = SplitMix64(seed: 5)
        let points = (0..<7).map { _ in random.array([2, 40]).storage }
        let reference = try InferenceEngine(compiler: Self.convolutionFirst(skip: skip))
        let expected = try Self.expectedMean(reference, points, target: 1)
        var results: [[Float]] = []
        for (threads, maxBatch) in [(1, 1), (1, 3), (2, 2), (2, 8)] {
            let engine = try InferenceEngine(compiler: Self.convolutionFirst(skip: skip), options: EngineOptions(threads: threads))
            let mean = try engine.meanInputGradient(at: .listed(count: points.count) { points[$0] }, target: 1, maxBatch: maxBatch)
            #expect(Self.maxError(mean, expected) < 1e-5, "threads \(threads), maxBatch \(maxBatch)")
            results.append(mean)
        }
        // Summed in point order: the same numbers whatever the batching and threads.
        #expect(results.allSatisfy { $0 == results[0] })
    }

    @Test func segmentPointsMatchTheInterpolatedInputs() throws {
        var random = SplitMix64(seed: 6)
        let (start, end) = (random.array([2, 40]).storage, random.array([2, 40]).storage)
        let positions: [Float] = [0.05, 0.2, 0.5, 0.75, 0.9, 1]
        let points = positions.map { t in zip(start, end).map { $0 + t * ($1 - $0) } }
        let engine = try InferenceEngine(compiler: Self.convolutionFirst(), options: EngineOptions(threads: 2))
        let expected = try Self.expectedMean(engine, points, target: 2)
        let segment = GradientPoints.segment(start: start, end: end, positions: positions)
        let mean = try engine.meanInputGradient(at: segment, target: 2, maxBatch: 4)
        #expect(Self.maxError(mean, expected) < 1e-5)
        #expect(try engine.meanInputGradient(at: segment, target: 2, maxBatch: 1) == mean)
    }

    @Test func badPointsAndTargetsAreRefused() throws {
        let engine = try InferenceEngine(compiler: Self.convolutionFirst())
        #expect(throws: InferenceError.inputShapeMismatch(expected: [2, 40], actual: [79])) {
            try engine.meanInputGradient(at: .listed(count: 2) { _ in [Float](repeating: 0, count: 79) }, target: 0, maxBatch: 4)
        }
        #expect(throws: InferenceError.inputShapeMismatch(expected: [2, 40], actual: [3])) {
            try engine.meanInputGradient(at: .segment(start: [0, 0, 0], end: [1, 1, 1], positions: [0.5]), target: 0, maxBatch: 4)
        }
        #expect(throws: InferenceError.invalidClasses(classes: [3, 3], batchSize: 2, classCount: 3)) {
            try engine.meanInputGradient(at: .listed(count: 2) { _ in [Float](repeating: 0, count: 80) }, target: 3, maxBatch: 4)
        }
    }
}
