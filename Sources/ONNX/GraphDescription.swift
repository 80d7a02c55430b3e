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
        /// Kinds the engine never reads (graphs, sparse tensors, type protos).
        case unsupported(String)
    }

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
        var initializers: [String: ConstantTensor] = [:]
        for tensor in graph.initializer {
            initializers[tensor.name] = try ConstantTensor(decoding: tensor, externalDataDirectory: directory)
        }
        var nodes: [Node] = []
        for (index, node) in graph.node.enumerated() {
            var attributes: [String: Attribute] = [:]
            for attribute in node.attribute {
                attributes[attribute.name] = try Self.attribute(attribute, directory: directory)
            }
            nodes.append(
                Node(
                    opType: node.opType, domain: node.domain, name: node.name.isEmpty ? "\(node.opType)_\(index)" : node.name,
                    inputs: node.input, outputs: node.output, attributes: attributes))
        }
        self.nodes = nodes
        self.initializers = initializers
        inputs = graph.input.filter { initializers[$0.name] == nil }.map(Self.valueInfo)
        outputs = graph.output.map(Self.valueInfo)
        opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
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
