import Inference

/// Turns an ONNX graph into engine programs, one per batch size: shapes are static inside a
/// program, so shape computations fold into constants and every operator knows its shapes.
struct GraphCompiler: ProgramCompiler {
    let graph: GraphDescription
    let input: GraphDescription.ValueInfo
    let exampleShape: [Int]
    let fixedBatchSize: Int?

    /// A compiler for `graph`; `exampleShape` resolves dynamic non-batch input axes.
    init(graph: GraphDescription, exampleShape requested: [Int]?) throws(ONNXError) {
        self.graph = graph
        guard graph.inputs.count == 1, let input = graph.inputs.first else {
            throw .invalidModel(
                reason: "expected exactly one input (the batch), found \(graph.inputs.count): "
                    + graph.inputs.map(\.name).joined(separator: ", "))
        }
        guard input.dataType == .float else {
            throw .nonFloatTensor(tensor: input.name, dataType: input.dataType.name, context: "the model input")
        }
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
        fixedBatchSize = dimensions[0].fixedValue.flatMap { $0 >= 1 ? $0 : nil }
    }

    func program(batchSize: Int) throws -> Program {
        let builder = ProgramBuilder(inputShape: [batchSize] + exampleShape)
        var compilation = Compilation(
            builder: builder, values: graph.initializers.mapValues(CompiledValue.constant),
            opset: graph.opset)
        compilation.values[input.name] = .runtime(builder.input)
        compilation.builder.name(builder.input, input.name)
        let missing = MissingOperator.all(in: graph.nodes)
        guard missing.isEmpty else { throw ONNXError.unsupportedOperators(missing: missing, supported: OperatorTable.supportedOperators) }
        for node in graph.nodes {
            guard let handler = OperatorTable.handler(for: node) else { preconditionFailure("every operator was checked above") }
            compilation.node = node
            let outputs: [CompiledValue]
            do {
                outputs = try handler(&compilation)
            } catch let error as InferenceError {
                throw compilation.failure(error.description)
            }
            for name in node.outputs.dropFirst(outputs.count) where !name.isEmpty {
                compilation.uncomputedOutputs[name] = node
            }
            for (name, value) in zip(node.outputs, outputs) where !name.isEmpty {
                compilation.values[name] = value
                if case let .runtime(handle) = value, !compilation.builder.isConstant(handle) {
                    compilation.builder.name(handle, name)
                }
            }
        }
        let outputName = graph.outputs[0].name
        guard let output = compilation.values[outputName] else {
            throw ONNXError.invalidModel(reason: "no node computes the output '\(outputName)'")
        }
        guard case let .runtime(handle) = output, !compilation.builder.isConstant(handle) else {
            throw ONNXError.invalidModel(reason: "the output '\(outputName)' does not depend on the input")
        }
        return compilation.builder.build(output: handle)
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
