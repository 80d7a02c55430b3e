/// Why an ONNX model could not be loaded or compiled.
public enum ONNXError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadableFile(path: String, reason: String)
    /// The bytes are not an ONNX model (not protobuf, truncated, or missing the model's parts).
    case notAnONNXModel(file: String, reason: String)
    /// The model imports a version of the default operator set outside the supported range.
    case unsupportedOpset(version: Int, supported: ClosedRange<Int>)
    /// A node uses an operator the engine does not implement.
    /// Every operator of the model the engine lacks, each with the nodes that use it.
    case unsupportedOperators(missing: [MissingOperator], supported: [String])
    /// A tensor the computation needs is not float32 (or an integer constant where allowed).
    case nonFloatTensor(tensor: String, dataType: String, context: String)
    /// A shape (or another value that must be known at load time) cannot be determined.
    case unresolvedShape(tensor: String, reason: String)
    /// A tensor stores its data in an external file that is missing or too short.
    case missingExternalData(tensor: String, file: String, reason: String)
    /// A node's attributes or inputs are invalid for its operator.
    case invalidNode(opType: String, node: String, reason: String)
    /// The graph as a whole does not fit the engine (inputs, outputs, references).
    case invalidModel(reason: String)
    /// A model input or output named or given at load does not fit the model.
    case invalidBinding(name: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read the file (\(reason))"
        case let .notAnONNXModel(file, reason):
            return "\(file): not an ONNX model (\(reason)); expected a .onnx file as written by onnx.save or torch.onnx.export"
        case let .unsupportedOpset(version, supported):
            return "model uses ONNX opset \(version); supported opsets are \(supported.lowerBound) to \(supported.upperBound)"
        case let .unsupportedOperators(missing, supported):
            let list = missing.map(\.description).joined(separator: "; ")
            return "unsupported operator\(missing.count == 1 ? "" : "s") \(list); supported operators: \(supported.joined(separator: ", "))"
        case let .nonFloatTensor(tensor, dataType, context):
            return "tensor '\(tensor)' is \(dataType) (\(context)); the engine computes in float32 only"
        case let .unresolvedShape(tensor, reason):
            return "cannot resolve the shape of '\(tensor)': \(reason)"
        case let .missingExternalData(tensor, file, reason):
            return "tensor '\(tensor)' keeps its data in the external file '\(file)', which \(reason); "
                + "keep the data file next to the model (or re-save it with onnx.save(model, path, save_as_external_data=False))"
        case let .invalidNode(opType, node, reason):
            return "\(opType) (node '\(node)'): \(reason)"
        case let .invalidModel(reason):
            return "invalid model: \(reason)"
        case let .invalidBinding(name, reason):
            return "'\(name)': \(reason)"
        }
    }
}

/// An operator the engine lacks, and the nodes of a model that use it.
public struct MissingOperator: Sendable, Equatable, CustomStringConvertible {
    /// The operator, qualified by its domain unless it is the default one.
    public let name: String
    /// The names of the nodes using it, in graph order.
    public let nodes: [String]

    /// How many node names a message lists before it says how many more there are.
    static let namesShown = 5

    public var description: String {
        let shown = nodes.prefix(Self.namesShown).map { "'\($0)'" }.joined(separator: ", ")
        let more = nodes.count > Self.namesShown ? " and \(nodes.count - Self.namesShown) more" : ""
        return "\(name) (node\(nodes.count == 1 ? "" : "s") \(shown)\(more))"
    }

    /// The operators of `nodes` without a handler, in order of first use.
    static func all(in nodes: [GraphDescription.Node]) -> [MissingOperator] {
        var order: [String] = [], users: [String: [String]] = [:]
        for node in nodes where OperatorTable.handler(for: node) == nil {
            let name = OperatorTable.qualifiedName(node)
            if users[name] == nil { order.append(name) }
            users[name, default: []].append(node.name)
        }
        return order.map { MissingOperator(name: $0, nodes: users[$0]!) }
    }
}
