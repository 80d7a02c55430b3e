/// Which forward tensors an operation's backward pass reads.
public struct BackwardReads: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The forward inputs (all of them).
    public static let inputs = BackwardReads(rawValue: 1)
    /// The forward output.
    public static let output = BackwardReads(rawValue: 2)
}

/// What an operation may use while it runs: scratch memory of the size it asked for, and a
/// thread budget for its own loops.
public struct OperationContext {
    /// Scratch memory, at least `scratchCount(for: parallelism)` elements; contents are undefined.
    public let scratch: UnsafeMutableBufferPointer<Float>
    /// Threads the operation may use.
    public let parallelism: Parallelism

    /// A context over `scratch` with `parallelism`.
    public init(scratch: UnsafeMutableBufferPointer<Float>, parallelism: Parallelism) {
        self.scratch = scratch
        self.parallelism = parallelism
    }
}

/// One Float32 operation with static shapes: a forward pass and its vector-Jacobian product.
///
/// Operations are built for fixed input shapes (they validate them in their initializer) and
/// hold their own parameters. The engine owns all tensor memory: `forward` writes the whole
/// output, `backward` *adds* the input gradients into the buffers it is given (they start at
/// zero and may already hold other contributions). Buffers of tensors an operation did not
/// list in `backwardReads` are empty during `backward`.
public protocol DifferentiableOperation: Sendable {
    /// The operator's name, for messages (for example `Conv`).
    var name: String { get }
    /// Shapes of the inputs, in order.
    var inputShapes: [[Int]] { get }
    /// Shape of the output.
    var outputShape: [Int] { get }
    /// The forward tensors `backward` reads.
    var backwardReads: BackwardReads { get }
    /// Scratch elements `forward` and `backward` need when given `parallelism`.
    func scratchCount(for parallelism: Parallelism) -> Int
    /// Computes the output from the inputs.
    func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext)
    /// Adds `outputGradient`'s pullback into `inputGradients` (`nil` where no gradient is wanted).
    func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext)
    /// For an operation with one input: *writes* `outputGradient`'s pullback into `inputGradient`,
    /// whose contents are undefined (the engine calls it when no other step has added to that
    /// gradient yet, to save clearing it first).
    func backwardWriting(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradient: UnsafeMutableBufferPointer<Float>,
        context: OperationContext)
}

extension DifferentiableOperation {
    /// No scratch memory.
    public func scratchCount(for parallelism: Parallelism) -> Int { 0 }

    /// Clears `inputGradient` and adds the pullback into it.
    public func backwardWriting(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradient: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        inputGradient.update(repeating: 0)
        backward(outputGradient, inputs: inputs, output: output, into: [inputGradient], context: context)
    }
}

/// Element count of a shape.
@inline(__always)
func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }
