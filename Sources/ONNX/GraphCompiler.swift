import Inference

/// Turns an ONNX graph into engine programs, one per batch size: shapes are static inside a
/// program, so shape computations fold into constants and every operator knows its shapes.
struct GraphCompiler: ProgramCompiler {
    let graph: GraphDescription
    let bindings: ResolvedBindings
    let input: GraphDescription.ValueInfo
    let exampleShape: [Int]
    let fixedBatchSize: Int?

    /// A compiler for `graph` under `bindings`; `exampleShape` resolves dynamic non-batch axes of
    /// the explained input. A model with state inputs runs one example per program.
    init(graph: GraphDescription, bindings: ModelBindings, exampleShape requested: [Int]?) throws(ONNXError) {
        self.graph = graph
        self.bindings = try bindings.resolve(in: graph)
        let input = self.bindings.explained
        guard let dimensions = input.dimensions, !dimensions.isEmpty else {
            throw .unresolvedShape(
                tensor: input.name,
                reason: "the model declares no shape for its input; "
                    + "expected at least a batch axis (pass the example shape to resolve it)")
        }
        guard graph.outputs.count >= 1 else { throw .invalidModel(reason: "the graph has no output") }
        let declared = dimensions.dropFirst()
        if let requested {
            guard requested.count == declared.count, requested.allSatisfy({ $0 >= 1 }),
                zip(declared, requested).allSatisfy({ dimension, size in dimension.fixedValue.map { $0 == size } ?? true })
            else {
                throw .unresolvedShape(
                    tensor: input.name,
                    reason: "the requested example shape \(requested) does not match the "
                        + "declared input shape \(Self.describe(dimensions)) without its batch axis")
            }
            exampleShape = requested
        } else {
            var shape: [Int] = []
            for (axis, dimension) in declared.enumerated() {
                guard let value = dimension.fixedValue, value >= 1 else {
                    throw .unresolvedShape(
                        tensor: input.name,
                        reason: "axis \(axis + 1) of the input \(Self.describe(dimensions)) is dynamic; "
                            + "pass the example shape, the input shape without the batch axis (`--input-shape 1 16000` for wam, "
                            + "`model.input_shape = [1, 16000]` for wamd)")
                }
                shape.append(value)
            }
            exampleShape = shape
        }
        self.input = input
        // State, and arrays given at load, are one example's: such a model runs one example per pass.
        let perExample = !self.bindings.held.isEmpty || self.bindings.constants.values.contains { !$0.shape.isEmpty }
        fixedBatchSize = perExample ? 1 : dimensions[0].fixedValue.flatMap { $0 >= 1 ? $0 : nil }
        if perExample, let declared = dimensions[0].fixedValue, declared != 1 {
            throw .invalidBinding(
                name: input.name,
                reason: "a model given state or arrays at load runs one example at a time, but this input's batch axis is fixed to \(declared)")
        }
    }

    func program(batchSize: Int) throws -> Program {
        let builder = ProgramBuilder(inputShape: [batchSize] + exampleShape)
        var compilation = Compilation(
            builder: builder, values: graph.initializers.mapValues(CompiledValue.constant),
            opset: graph.opset)
        compilation.values[input.name] = .runtime(builder.input)
        compilation.builder.name(builder.input, input.name)
        for (name, tensor) in bindings.constants { compilation.values[name] = .constant(tensor) }
        for held in bindings.held {
            let handle = compilation.builder.heldInput(name: held.name, shape: held.initial.shape)
            compilation.values[held.name] = .runtime(handle)
            compilation.builder.name(handle, held.name)
        }
        let missing = MissingOperator.all(in: graph.allNodes)
        guard missing.isEmpty else { throw ONNXError.unsupportedOperators(missing: missing, supported: OperatorTable.supportedOperators) }
        try compilation.compile(graph.nodes)
        let output = try Self.runtimeOutput(bindings.output, in: compilation, role: "the explained output")
        guard compilation.builder.dependsOnInput(output) else {
            throw ONNXError.invalidModel(reason: "the output '\(bindings.output)' does not depend on the input '\(input.name)'")
        }
        for held in bindings.held {
            let next = try Self.runtimeOutput(held.output, in: compilation, role: "the next value of state '\(held.name)'")
            guard next.shape == held.initial.shape else {
                throw ONNXError.invalidBinding(
                    name: held.output, reason: "it has shape \(next.shape) but carries state '\(held.name)' of shape \(held.initial.shape)")
            }
        }
        return compilation.builder.build(output: output)
    }

    /// The program tensor of graph output `name` (not a constant).
    private static func runtimeOutput(_ name: String, in compilation: Compilation, role: String) throws(ONNXError) -> TensorHandle {
        guard let value = compilation.values[name] else {
            throw .invalidModel(reason: "no node computes the output '\(name)'")
        }
        switch value {
        case let .runtime(handle) where !compilation.builder.isConstant(handle): return handle
        case let .inputDependent(_, dataType):
            throw .nonFloatTensor(tensor: name, dataType: dataType.name, context: role)
        default:
            throw .invalidModel(reason: "\(role) '\(name)' is a constant: it depends on no input")
        }
    }

    private static func describe(_ dimensions: [GraphDescription.ValueInfo.Dimension]) -> String {
        "["
            + dimensions.map { dimension in
                switch dimension {
                case let .fixed(value): String(value)
                case let .symbolic(name): name
                }
            }.joined(separator: ", ") + "]"
    }
}

extension GraphDescription.ValueInfo.Dimension {
    /// The size of a fixed axis.
    var fixedValue: Int? {
        if case let .fixed(value) = self { return value }
        return nil
    }
}
