import Inference
import NDArray

/// A program compiler from a closure, for engine tests that need no model file.
struct ClosureCompiler: ProgramCompiler {
    let exampleShape: [Int]
    var fixedBatchSize: Int? = nil
    let body: @Sendable (inout ProgramBuilder, TensorHandle) throws -> TensorHandle

    func program(batchSize: Int) throws -> Program {
        var builder = ProgramBuilder(inputShape: [batchSize] + exampleShape)
        let output = try body(&builder, builder.input)
        return builder.build(output: output)
    }
}

/// A small seeded generator, so tests draw the same numbers on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func nextSigned() -> Float {
        Float(Double(next() >> 11) / Double(1 << 52) - 1)
    }

    /// An array of `shape` with uniform values in [-1, 1).
    mutating func array(_ shape: [Int]) -> NDArray<Float> {
        NDArray(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in nextSigned() })
    }
}

/// Runs one operation's forward pass on `inputs` (with `threads` threads).
func runForward(_ operation: some DifferentiableOperation, _ inputs: [NDArray<Float>], threads: Int = 1) -> NDArray<Float> {
    let compiler = ClosureCompiler(exampleShape: Array(inputs[0].shape.dropFirst()), fixedBatchSize: inputs[0].shape[0]) { builder, input in
        let others = inputs.dropFirst().map { builder.constant($0) }
        return try builder.apply(operation, to: [input] + others)
    }
    return try! InferenceEngine(compiler: compiler, options: EngineOptions(threads: threads)).logits(inputs[0])
}

/// Runs one operation's backward pass for `cotangent`, returning the gradient of its first input.
func runBackward(_ operation: some DifferentiableOperation, _ inputs: [NDArray<Float>], cotangent: NDArray<Float>,
                 threads: Int = 1) -> NDArray<Float> {
    let compiler = ClosureCompiler(exampleShape: Array(inputs[0].shape.dropFirst()), fixedBatchSize: inputs[0].shape[0]) { builder, input in
        let others = inputs.dropFirst().map { builder.constant($0) }
        return try builder.apply(operation, to: [input] + others)
    }
    let engine = try! InferenceEngine(compiler: compiler, options: EngineOptions(threads: threads))
    return try! engine.vectorJacobianProduct(inputs[0], cotangent: cotangent).inputGradient
}

/// `sum(a * b)` in double precision.
func dot(_ a: NDArray<Float>, _ b: NDArray<Float>) -> Double {
    zip(a.storage, b.storage).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// `max |a - b| / max |b|`.
func relativeError(_ a: NDArray<Float>, _ b: NDArray<Float>) -> Float {
    let scale = b.storage.map(abs).max() ?? 0
    let error = zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
    return scale > 0 ? error / scale : error
}
