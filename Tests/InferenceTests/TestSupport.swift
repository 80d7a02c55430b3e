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

/// Runs one operation's forward pass on `inputs` (with `threads` threads).
func runForward(_ operation: some DifferentiableOperation, _ inputs: [NDArray<Float>], threads: Int = 1) -> NDArray<Float> {
    let compiler = ClosureCompiler(exampleShape: Array(inputs[0].shape.dropFirst()), fixedBatchSize: inputs[0].shape[0]) { builder, input in
        let others = inputs.dropFirst().map { builder.constant($0) }
        return try builder.apply(operation, to: [input] + others)
    }
    return try! InferenceEngine(compiler: compiler, options: EngineOptions(threads: threads)).logits(inputs[0])
}

/// Runs one operation's backward pass for `cotangent`, returning the gradient of its first input.
func runBackward(
    _ operation: some DifferentiableOperation, _ inputs: [NDArray<Float>], cotangent: NDArray<Float>,
    threads: Int = 1
) -> NDArray<Float> {
    let compiler = ClosureCompiler(exampleShape: Array(inputs[0].shape.dropFirst()), fixedBatchSize: inputs[0].shape[0]) { builder, input in
        let others = inputs.dropFirst().map { builder.constant($0) }
        return try builder.apply(operation, to: [input] + others)
    }
    let engine = try! InferenceEngine(compiler: compiler, options: EngineOptions(threads: threads))
    return try! engine.vectorJacobianProduct(inputs[0], cotangent: cotangent).inputGradient
}
