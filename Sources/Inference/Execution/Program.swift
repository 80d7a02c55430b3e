import NDArray

/// A tensor of a program under construction: which value it is and the shape it is viewed with.
/// Several handles may view one value under different shapes of the same size (reshapes are free).
public struct TensorHandle: Hashable, Sendable {
    /// Index of the value in its program.
    public let id: Int
    /// The shape this handle sees.
    public let shape: [Int]

    /// The same value under `newShape`; `nil` when the element counts differ.
    public func reshaped(_ newShape: [Int]) -> TensorHandle? {
        elementCount(newShape) == elementCount(shape) && newShape.allSatisfy { $0 >= 0 }
            ? TensorHandle(id: id, shape: newShape) : nil
    }
}

/// A straight-line Float32 computation with static shapes: one input (and any held inputs), constants, operations,
/// one output, and names for tensors worth asking about (activations, GradCAM targets).
/// Immutable and shareable; run by `InferenceEngine`.
public struct Program: Sendable {
    /// Where a value comes from.
    enum Source: Sendable {
        case input
        /// A held input, by its index in `heldInputs`.
        case held(Int)
        case constant(Int)
        case step(Int)
    }

    struct Step: Sendable {
        let operation: any DifferentiableOperation
        let inputs: [Int]
        let output: Int
    }

    /// The program input.
    public let input: TensorHandle
    /// The program output.
    public let output: TensorHandle
    /// Named tensors, for activations and gradients by name.
    public let namedTensors: [String: TensorHandle]
    /// Inputs each pass supplies and holds fixed (see `ProgramBuilder.heldInput`).
    public let heldInputs: [HeldInput]

    /// An input each pass supplies whole, without a gradient.
    public struct HeldInput: Sendable {
        /// The name requests give its value under.
        public let name: String
        /// Its tensor (whole, not per example).
        public let handle: TensorHandle
    }

    let valueCounts: [Int]
    let sources: [Source]
    let constants: ConstantPool
    let steps: [Step]
    /// Whether each value depends on the input (and so has a gradient).
    let dependsOnInput: [Bool]
}

/// Constant tensors at stable addresses for the lifetime of the programs that share them.
final class ConstantPool: @unchecked Sendable {
    // Written once in `init`, read-only afterwards.
    private let buffers: [UnsafeMutableBufferPointer<Float>]

    init(_ arrays: [[Float]]) {
        buffers = arrays.map { array in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: array.count)
            _ = buffer.initialize(from: array)
            return buffer
        }
    }

    subscript(index: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(buffers[index]) }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }
}
