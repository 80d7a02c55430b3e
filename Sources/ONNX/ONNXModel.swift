import Foundation
import Inference
import NDArray
import SwiftProtobuf

/// An ONNX classifier loaded from a file: its description, and engines that run it.
public struct ONNXModel: Sendable {
    /// The default-domain operator set versions the engine implements.
    public static let supportedOpsets = 11...21

    /// Every operator the engine implements, sorted.
    public static var supportedOperators: [String] { OperatorTable.supportedOperators }

    /// What the model declares and uses.
    public let summary: ModelSummary
    let graph: GraphDescription

    /// Loads the model at `url`; external tensor data is read from the model's folder.
    public init(contentsOf url: URL) throws(ONNXError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(data: data, name: url.path, externalDataDirectory: url.deletingLastPathComponent())
    }

    /// Loads a model from its serialized bytes; `name` appears in messages, and external tensor
    /// data (if any) is read relative to `externalDataDirectory`.
    public init(data: Data, name: String = "model", externalDataDirectory: URL? = nil) throws(ONNXError) {
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw .notAnONNXModel(file: name, reason: data.isEmpty ? "the file is empty" : "the bytes do not decode as an ONNX protobuf: \(error)")
        }
        guard proto.irVersion > 0, proto.hasGraph, !proto.opsetImport.isEmpty, !proto.graph.node.isEmpty || !proto.graph.output.isEmpty else {
            throw .notAnONNXModel(file: name, reason: "no IR version, operator set or graph in the decoded message")
        }
        graph = try GraphDescription(model: proto, externalDataDirectory: externalDataDirectory)
        guard Self.supportedOpsets.contains(graph.opset) else {
            throw .unsupportedOpset(version: graph.opset, supported: Self.supportedOpsets)
        }
        summary = ModelSummary(graph)
    }

    /// An engine for this model under `bindings`. `exampleShape` (the explained input without its
    /// batch axis) is needed only when the model leaves some of those axes dynamic; it must agree
    /// with the fixed ones.
    public func makeEngine(
        exampleShape: [Int]? = nil, bindings: ModelBindings = ModelBindings(), options: EngineOptions = EngineOptions()
    ) throws -> InferenceEngine {
        try InferenceEngine(compiler: GraphCompiler(graph: graph, bindings: bindings, exampleShape: exampleShape), options: options)
    }

    /// The values the state inputs of `bindings` start from (zeros unless given), by input name.
    public func initialState(under bindings: ModelBindings) throws(ONNXError) -> [String: NDArray<Float>] {
        Dictionary(uniqueKeysWithValues: try bindings.resolve(in: graph).held.map { ($0.name, $0.initial) })
    }

    /// Whether the output explained under `bindings` is already a probability (it comes from a
    /// Sigmoid or Softmax through operators that only move, select or average values), rather
    /// than logits.
    public func outputIsProbability(under bindings: ModelBindings) -> Bool {
        guard let name = try? explainedTensor(under: bindings) else { return false }
        return graph.isProbability(name)
    }

    /// The tensor explained under `bindings`: the chosen (or first) output, or the logit before
    /// its Sigmoid when the output is a Sigmoid (through reshapes) and was not chosen by name.
    public func explainedTensor(under bindings: ModelBindings) throws(ONNXError) -> String {
        try bindings.resolve(in: graph).output
    }

    /// What each input and output does under `bindings` (inputs, then outputs, in declaration order).
    public func roles(under bindings: ModelBindings) -> (inputs: [TensorRole], outputs: [TensorRole]) {
        bindings.roles(in: graph)
    }
}
