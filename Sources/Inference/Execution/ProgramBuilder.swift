import NDArray

/// Assembles a `Program`: start from the input, add constants and operations, name tensors,
/// then `build`. Operations whose inputs are all constant run at once and become constants, so
/// constant subgraphs cost nothing at run time.
public struct ProgramBuilder {
    /// The program input.
    public let input: TensorHandle
    private var valueCounts: [Int]
    private var sources: [Program.Source]
    private var constantArrays: [[Float]] = []
    private var steps: [Program.Step] = []
    private var dependsOnInput: [Bool]
    private var names: [String: TensorHandle] = [:]
    private var heldInputs: [Program.HeldInput] = []

    /// A builder for a program whose input has `inputShape`.
    public init(inputShape: [Int]) {
        input = TensorHandle(id: 0, shape: inputShape)
        valueCounts = [elementCount(inputShape)]
        sources = [.input]
        dependsOnInput = [true]
    }

    /// Adds an input whose values each pass supplies whole (`EvaluationRequest.heldInputs`) and
    /// holds fixed: no gradient flows into it (the state of a recurrent model).
    public mutating func heldInput(name: String, shape: [Int]) -> TensorHandle {
        heldInputs.append(Program.HeldInput(name: name, handle: TensorHandle(id: valueCounts.count, shape: shape)))
        return addValue(shape: shape, source: .held(heldInputs.count - 1), dependsOnInput: false)
    }

    /// Adds a constant tensor.
    public mutating func constant(_ array: NDArray<Float>) -> TensorHandle {
        constantArrays.append(array.storage)
        return addValue(shape: array.shape, source: .constant(constantArrays.count - 1), dependsOnInput: false)
    }

    /// The values of `handle` when it is a constant, `nil` when it depends on the input.
    public func constantValue(_ handle: TensorHandle) -> NDArray<Float>? {
        guard case let .constant(index) = sources[handle.id] else { return nil }
        return NDArray(shape: handle.shape, storage: constantArrays[index])
    }

    /// Whether `handle` depends on the (explained) input, and so can have a gradient.
    public func dependsOnInput(_ handle: TensorHandle) -> Bool { dependsOnInput[handle.id] }

    /// Whether `handle` is a constant.
    public func isConstant(_ handle: TensorHandle) -> Bool {
        if case .constant = sources[handle.id] { true } else { false }
    }

    /// Appends `operation` applied to `inputs` and returns its output; evaluates it right away
    /// when every input is constant.
    public mutating func apply(_ operation: some DifferentiableOperation, to inputs: [TensorHandle]) throws(InferenceError) -> TensorHandle {
        guard inputs.map(\.shape) == operation.inputShapes else {
            throw .invalidShapes(
                operation: operation.name, shapes: inputs.map(\.shape),
                expected: operation.inputShapes.map { "\($0)" }.joined(separator: ", "))
        }
        let constantInputs = inputs.map { constantValue($0) } as? [NDArray<Float>]
        // Activations are bounded per example (the first axis is the batch), constants whole.
        _ = try TensorLimits.checkedElementCount(
            constantInputs == nil ? Array(operation.outputShape.dropFirst()) : operation.outputShape,
            operation: operation.name)
        if let values = constantInputs {
            return constant(Self.evaluate(operation, on: values))
        }
        steps.append(Program.Step(operation: operation, inputs: inputs.map(\.id), output: valueCounts.count))
        return addValue(
            shape: operation.outputShape, source: .step(steps.count - 1),
            dependsOnInput: inputs.contains { dependsOnInput[$0.id] })
    }

    /// Gives `handle` a name that activation and gradient requests can use.
    public mutating func name(_ handle: TensorHandle, _ name: String) {
        names[name] = handle
    }

    /// The finished program computing `output`.
    public func build(output: TensorHandle) -> Program {
        Program(
            input: input, output: output, namedTensors: names, heldInputs: heldInputs, valueCounts: valueCounts, sources: sources,
            constants: ConstantPool(constantArrays), steps: steps, dependsOnInput: dependsOnInput)
    }

    private mutating func addValue(shape: [Int], source: Program.Source, dependsOnInput depends: Bool) -> TensorHandle {
        valueCounts.append(elementCount(shape))
        sources.append(source)
        dependsOnInput.append(depends)
        return TensorHandle(id: valueCounts.count - 1, shape: shape)
    }

    private static func evaluate(_ operation: some DifferentiableOperation, on inputs: [NDArray<Float>]) -> NDArray<Float> {
        let pool = ConstantPool(inputs.map(\.storage))
        var result = [Float](repeating: 0, count: elementCount(operation.outputShape))
        var scratch = [Float](repeating: 0, count: operation.scratchCount(for: .serial))
        result.withUnsafeMutableBufferPointer { output in
            scratch.withUnsafeMutableBufferPointer { scratch in
                operation.forward(
                    inputs.indices.map { pool[$0] }, into: output,
                    context: OperationContext(scratch: scratch, parallelism: .serial))
            }
        }
        return NDArray(shape: operation.outputShape, storage: result)
    }
}
