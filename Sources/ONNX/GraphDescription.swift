import Foundation

/// An ONNX graph decoded into plain values: what the compiler and the summary read.
struct GraphDescription: Sendable {
    /// One node of the graph.
    struct Node: Sendable {
        let opType: String
        let domain: String
        let name: String
        /// Input tensor names; an empty name is an omitted optional input.
        let inputs: [String]
        let outputs: [String]
        let attributes: [String: Attribute]
    }

    /// A node attribute's value.
    enum Attribute: Sendable {
        case int(Int)
        case float(Float)
        case string(String)
        case ints([Int])
        case floats([Float])
        case strings([String])
        case tensor(ConstantTensor)
        /// A subgraph (the branches of `If`).
        case graph(Subgraph)
        /// Kinds the engine never reads (lists of graphs, sparse tensors, type protos).
        case unsupported(String)
    }

    /// A graph nested in a node: its nodes (which may read any name of the enclosing scopes), its
    /// own initializers, and the names of its outputs.
    struct Subgraph: Sendable {
        let nodes: [Node]
        let initializers: [String: ConstantTensor]
        let outputs: [String]
    }

    /// How deep subgraphs may nest (an `If` inside a branch of an `If` ...); deeper is refused
    /// rather than followed, so a crafted file cannot exhaust the stack.
    static let maxNesting = 16

    /// A graph input or output and its declared type.
    struct ValueInfo: Sendable {
        /// One axis of a declared shape.
        enum Dimension: Sendable, Equatable {
            case fixed(Int)
            case symbolic(String)
        }

        let name: String
        let dataType: DataType
        /// `nil` when the type declares no shape at all.
        let dimensions: [Dimension]?
    }

    let nodes: [Node]
    let initializers: [String: ConstantTensor]
    /// Graph inputs that are not initializers.
    let inputs: [ValueInfo]
    let outputs: [ValueInfo]
    /// Version of the default (`ai.onnx`) operator set.
    let opset: Int
    let producer: String
}

extension GraphDescription {
    /// Decodes `model`, reading external tensor data relative to `directory`.
    init(model: Onnx_ModelProto, externalDataDirectory directory: URL?) throws(ONNXError) {
        let graph = model.graph
        let body = try Self.subgraph(graph, directory: directory, depth: 0)
        nodes = body.nodes
        initializers = body.initializers
        inputs = graph.input.filter { body.initializers[$0.name] == nil }.map(Self.valueInfo)
        outputs = graph.output.map(Self.valueInfo)
        opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Every node, those of subgraphs included (after the node holding them), in graph order.
    var allNodes: [Node] { Self.flattened(nodes) }

    private static func flattened(_ nodes: [Node]) -> [Node] {
        nodes.flatMap { node in
            [node]
                + node.attributes.keys.sorted().flatMap { key -> [Node] in
                    if case let .graph(subgraph)? = node.attributes[key] { return flattened(subgraph.nodes) }
                    return []
                }
        }
    }

    private static func subgraph(_ graph: Onnx_GraphProto, directory: URL?, depth: Int) throws(ONNXError) -> Subgraph {
        guard depth <= maxNesting else {
            throw .invalidModel(reason: "subgraphs nest deeper than \(maxNesting) levels (graph '\(graph.name)')")
        }
        var initializers: [String: ConstantTensor] = [:]
        for tensor in graph.initializer {
            initializers[tensor.name] = try ConstantTensor(decoding: tensor, externalDataDirectory: directory)
        }
        var nodes: [Node] = []
        for (index, node) in graph.node.enumerated() {
            var attributes: [String: Attribute] = [:]
            for attribute in node.attribute {
                attributes[attribute.name] =
                    attribute.type == .graph || (attribute.type == .undefined && attribute.hasG)
                    ? .graph(try subgraph(attribute.g, directory: directory, depth: depth + 1))
                    : try Self.attribute(attribute, directory: directory)
            }
            let prefix = depth == 0 || graph.name.isEmpty ? "" : "\(graph.name)/"
            nodes.append(
                Node(
                    opType: node.opType, domain: node.domain,
                    name: node.name.isEmpty ? "\(prefix)\(node.opType)_\(index)" : node.name,
                    inputs: node.input, outputs: node.output, attributes: attributes))
        }
        return Subgraph(nodes: nodes, initializers: initializers, outputs: graph.output.map(\.name))
    }

    private static func valueInfo(_ info: Onnx_ValueInfoProto) -> ValueInfo {
        let tensorType = info.type.tensorType
        let dimensions: [ValueInfo.Dimension]? =
            tensorType.hasShape
            ? tensorType.shape.dim.map { dimension in
                switch dimension.value {
                case let .dimValue(value)?: return .fixed(Int(value))
                case let .dimParam(name)?: return .symbolic(name)
                case nil: return .symbolic("?")
                }
            } : nil
        return ValueInfo(name: info.name, dataType: DataType(code: tensorType.elemType), dimensions: dimensions)
    }

    private static func attribute(_ proto: Onnx_AttributeProto, directory: URL?) throws(ONNXError) -> Attribute {
        switch proto.type {
        case .int: return .int(Int(proto.i))
        case .float: return .float(proto.f)
        case .string: return .string(String(decoding: proto.s, as: UTF8.self))
        case .ints: return .ints(proto.ints.map { Int($0) })
        case .floats: return .floats(proto.floats)
        case .strings: return .strings(proto.strings.map { String(decoding: $0, as: UTF8.self) })
        case .tensor: return .tensor(try ConstantTensor(decoding: proto.t, externalDataDirectory: directory))
        case .undefined:  // Very old writers leave the type out: go by the field that is set.
            if proto.hasT { return .tensor(try ConstantTensor(decoding: proto.t, externalDataDirectory: directory)) }
            if !proto.ints.isEmpty { return .ints(proto.ints.map { Int($0) }) }
            if !proto.floats.isEmpty { return .floats(proto.floats) }
            if proto.hasS { return .string(String(decoding: proto.s, as: UTF8.self)) }
            if proto.hasF { return .float(proto.f) }
            return .int(Int(proto.i))
        default: return .unsupported("\(proto.type)")
        }
    }
}
