import Inference
import NDArray

/// A tensor during compilation: part of the program (float32, possibly a folded constant), a
/// value known at load time of any type (initializers, shape arithmetic), or a non-float tensor
/// computed from the input's values, which the engine cannot run but whose shape is known (kept
/// so that the error names the operator that needs it).
enum CompiledValue {
    case runtime(TensorHandle)
    case constant(ConstantTensor)
    case inputDependent(shape: [Int], dataType: DataType)
}

/// The state of compiling a graph for one input shape, and the view of the current node that
/// operator handlers work with: attributes, inputs, and the program they append to.
struct Compilation {
    var builder: ProgramBuilder
    var values: [String: CompiledValue]
    /// Optional outputs nodes do not compute (MaxPool indices, Dropout masks), with their producers.
    var uncomputedOutputs: [String: GraphDescription.Node] = [:]
    /// The node computing each tensor compiled so far (for messages that trace a value back).
    private var producers: [String: GraphDescription.Node] = [:]
    let opset: Int
    /// The node being compiled.
    var node = GraphDescription.Node(opType: "", domain: "", name: "", inputs: [], outputs: [], attributes: [:])

    init(builder: ProgramBuilder, values: [String: CompiledValue], opset: Int) {
        self.builder = builder
        self.values = values
        self.opset = opset
    }

    /// Compiles `nodes` in order (every operator must have a handler), defining their outputs;
    /// the current node is restored afterwards, so handlers can compile subgraphs.
    mutating func compile(_ nodes: [GraphDescription.Node]) throws {
        let enclosing = node
        defer { node = enclosing }
        for node in nodes {
            guard let handler = OperatorTable.handler(for: node) else { preconditionFailure("every operator was checked before compiling") }
            self.node = node
            let outputs: [CompiledValue]
            do {
                outputs = try handler(&self)
            } catch let error as InferenceError {
                throw failure(error.description)
            }
            for name in node.outputs.dropFirst(outputs.count) where !name.isEmpty {
                uncomputedOutputs[name] = node
            }
            for (name, value) in zip(node.outputs, outputs) where !name.isEmpty {
                if let earlier = producers[name] {
                    throw ONNXError.invalidModel(
                        reason: "tensor '\(name)' is written by node '\(earlier.name)' and again by node '\(node.name)'; ONNX names each tensor once")
                }
                values[name] = value
                producers[name] = node
                if case let .runtime(handle) = value, !builder.isConstant(handle) {
                    builder.name(handle, name)
                }
            }
        }
    }

    /// The graph inputs (not initializers or constants) whose values `tensor` is computed from, sorted.
    func graphInputs(feeding tensor: String) -> [String] {
        var found: Set<String> = [], visited: Set<String> = [], pending = [tensor]
        while let name = pending.popLast() {
            guard !name.isEmpty, visited.insert(name).inserted else { continue }
            if let producer = producers[name] {
                pending += producer.inputs
                // A branch reads names of the enclosing graph through its nodes, not its inputs.
                for case let .graph(subgraph) in producer.attributes.values { pending += subgraph.nodes.flatMap(\.inputs) }
            } else if case .constant? = values[name] {
                continue
            } else if values[name] != nil {
                found.insert(name)
            }
        }
        return found.sorted()
    }

    /// Whether `tensor` is a sum of squares: `Pow(x, 2)`, `Mul(x, x)`, `ReduceSumSquare`, or an
    /// `Add` of such terms.
    func isSumOfSquares(_ tensor: String) -> Bool {
        guard let producer = producers[tensor] else { return false }
        switch producer.opType {
        case "ReduceSumSquare": return true
        case "Mul": return producer.inputs.count == 2 && producer.inputs[0] == producer.inputs[1]
        case "Pow":
            guard producer.inputs.count == 2, case let .constant(exponent)? = values[producer.inputs[1]] else { return false }
            return exponent.count == 1 && exponent.doubles[0] == 2
        case "Add": return producer.inputs.count == 2 && producer.inputs.allSatisfy(isSumOfSquares)
        default: return false
        }
    }

    /// An error about the current node.
    func failure(_ reason: String) -> ONNXError {
        .invalidNode(opType: node.opType, node: node.name, reason: reason)
    }

    // MARK: - Attributes

    func int(_ name: String, default value: Int? = nil) throws(ONNXError) -> Int {
        switch node.attributes[name] {
        case let .int(found)?: return found
        case nil: if let value { return value }
        default: break
        }
        throw failure("attribute '\(name)' must be an integer\(node.attributes[name] == nil ? " (it is required)" : "")")
    }

    func ints(_ name: String) throws(ONNXError) -> [Int]? {
        switch node.attributes[name] {
        case let .ints(found)?: return found
        case let .int(found)?: return [found]
        case nil: return nil
        default: throw failure("attribute '\(name)' must be a list of integers")
        }
    }

    func float(_ name: String, default value: Float) throws(ONNXError) -> Float {
        switch node.attributes[name] {
        case let .float(found)?: return found
        case let .int(found)?: return Float(found)
        case nil: return value
        default: throw failure("attribute '\(name)' must be a float")
        }
    }

    func string(_ name: String, default value: String) throws(ONNXError) -> String {
        switch node.attributes[name] {
        case let .string(found)?: return found
        case nil: return value
        default: throw failure("attribute '\(name)' must be a string")
        }
    }

    // MARK: - Inputs

    /// Whether optional input `index` is present.
    func hasInput(_ index: Int) -> Bool {
        index < node.inputs.count && !node.inputs[index].isEmpty
    }

    /// Input `index`, which must be present.
    func value(_ index: Int) throws(ONNXError) -> CompiledValue {
        guard hasInput(index) else { throw failure("input \(index) is required") }
        guard let value = values[node.inputs[index]] else {
            if let producer = uncomputedOutputs[node.inputs[index]] {
                throw failure(
                    "reads '\(node.inputs[index])', an optional output of \(producer.opType) (node '\(producer.name)') "
                        + "that the engine does not compute")
            }
            throw .invalidModel(
                reason: "node '\(node.name)' (\(node.opType)) reads '\(node.inputs[index])', which no earlier node or initializer defines")
        }
        return value
    }

    /// Input `index` as a value known at load time; `nil` when the optional input is absent.
    /// Throws when the input depends on the model input's values.
    func constant(_ index: Int, role: String) throws(ONNXError) -> ConstantTensor? {
        guard hasInput(index) else { return nil }
        switch try value(index) {
        case let .constant(tensor): return tensor
        case let .runtime(handle):
            if let folded = builder.constantValue(handle) { return ConstantTensor(folded) }
            fallthrough
        case .inputDependent:
            throw .unresolvedShape(
                tensor: node.inputs[index],
                reason: "\(node.opType) (node '\(node.name)') needs its \(role) at load time, but it depends on the "
                    + "values of the model input; only shapes computed from the input's shape can be folded")
        }
    }

    /// Input `index` as integers known at load time; `nil` when the optional input is absent.
    func integers(_ index: Int, role: String) throws(ONNXError) -> [Int]? {
        guard let tensor = try constant(index, role: role) else { return nil }
        guard let values = tensor.integers else {
            throw .nonFloatTensor(
                tensor: node.inputs[index], dataType: tensor.dataType.name,
                context: "\(node.opType) (node '\(node.name)') expects integers for its \(role)")
        }
        return values
    }

    /// Input `index` as one float known at load time; `nil` when the optional input is absent.
    func scalar(_ index: Int, role: String) throws(ONNXError) -> Float? {
        guard let tensor = try constant(index, role: role) else { return nil }
        guard tensor.count == 1 else { throw failure("the \(role) must be a single value; it has shape \(tensor.shape)") }
        return Float(tensor.doubles[0])
    }

    /// The type of the first present input that is a non-float tensor computed from the input's
    /// values, `nil` when there is none.
    func inputDependentType() throws(ONNXError) -> DataType? {
        for index in node.inputs.indices where hasInput(index) {
            if case let .inputDependent(_, dataType) = try value(index) { return dataType }
        }
        return nil
    }

    /// Whether input `index` is known at load time.
    func isConstant(_ index: Int) throws(ONNXError) -> Bool {
        switch try value(index) {
        case .constant: return true
        case let .runtime(handle): return builder.isConstant(handle)
        case .inputDependent: return false
        }
    }

    /// The shape of input `index`.
    func shape(_ index: Int) throws(ONNXError) -> [Int] {
        switch try value(index) {
        case let .constant(tensor): return tensor.shape
        case let .runtime(handle): return handle.shape
        case let .inputDependent(shape, _): return shape
        }
    }

    /// Input `index` as a float32 tensor of the program (constants are added to it).
    mutating func tensor(_ index: Int) throws(ONNXError) -> TensorHandle {
        switch try value(index) {
        case let .runtime(handle): return handle
        case let .constant(tensor):
            guard let array = tensor.floatArray else {
                throw .nonFloatTensor(
                    tensor: node.inputs[index], dataType: tensor.dataType.name,
                    context: "input \(index) of \(node.opType) (node '\(node.name)')")
            }
            return builder.constant(array)
        case let .inputDependent(_, dataType):
            throw .nonFloatTensor(
                tensor: node.inputs[index], dataType: dataType.name,
                context: "computed from the input's values and read by \(node.opType) (node '\(node.name)')")
        }
    }

    /// Appends `operation` on `inputs` and returns its output, reporting shape errors as errors of this node.
    mutating func run<Operation: DifferentiableOperation>(
        _ operation: @autoclosure () throws(InferenceError) -> Operation,
        on inputs: [TensorHandle]
    ) throws(ONNXError) -> TensorHandle {
        do {
            return try builder.apply(try operation(), to: inputs)
        } catch {
            throw failure(error.description)
        }
    }

    /// `run` as a node output.
    mutating func apply<Operation: DifferentiableOperation>(
        _ operation: @autoclosure () throws(InferenceError) -> Operation,
        to inputs: [TensorHandle]
    ) throws(ONNXError) -> CompiledValue {
        .runtime(try run(try operation(), on: inputs))
    }
}
