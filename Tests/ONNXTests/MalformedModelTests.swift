import Foundation
import Inference
import NDArray
import SwiftProtobuf
import Testing

@testable import ONNX

/// Every malformed input produces its own error, and the message says what was expected.
struct MalformedModelTests {
    private func loadError(_ file: String) -> ONNXError? {
        do {
            _ = try ONNXModel(contentsOf: Fixtures.url("malformed/\(file)")).makeEngine()
            return nil
        } catch {
            return error as? ONNXError
        }
    }

    @Test func truncatedFile() throws {
        let error = try #require(loadError("truncated.onnx"))
        guard case .notAnONNXModel = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("truncated.onnx"))
    }

    @Test func fileThatIsNotONNX() throws {
        let error = try #require(loadError("not_onnx.onnx"))
        guard case .notAnONNXModel = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("expected a .onnx file"))
    }

    @Test func missingFile() throws {
        let error = try #require(loadError("no_such_model.onnx"))
        guard case .unreadableFile = error else { Issue.record("got \(error)"); return }
    }

    @Test func unsupportedOperatorNamesOpNodeAndAlternatives() throws {
        let error = try #require(loadError("unsupported_op.onnx"))
        guard case let .unsupportedOperators(missing, supported) = error else { Issue.record("got \(error)"); return }
        #expect(missing.map(\.name) == ["TopK"])
        #expect(missing[0].nodes.count == 1 && !missing[0].nodes[0].isEmpty && error.description.contains(missing[0].nodes[0]))
        #expect(supported.contains("Conv") && supported.contains("Gemm") && supported == ONNXModel.supportedOperators)
        #expect(error.description.contains("supported operators: "))
    }

    @Test("every missing operator is named at once, each with its nodes, not only the first")
    func everyMissingOperatorAtOnce() throws {
        var model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: Fixtures.url("malformed/unsupported_op.onnx")))
        for (index, (opType, domain)) in [("Loop", ""), ("TopK", ""), ("Scan", ""), ("Loop", ""), ("Inverse", "com.microsoft")].enumerated() {
            var node = Onnx_NodeProto()
            (node.opType, node.domain, node.name) = (opType, domain, "extra_\(index)")
            node.input = [model.graph.input[0].name]
            node.output = ["extra_out_\(index)"]
            model.graph.node.append(node)
        }
        let loaded = try ONNXModel(data: try model.serializedData(), name: "many.onnx")
        #expect(
            loaded.summary.missingOperators == [
                // The fixture's node has no name; the model names it by its operator and position.
                MissingOperator(name: "TopK", nodes: ["TopK_1", "extra_1"]),
                MissingOperator(name: "Loop", nodes: ["extra_0", "extra_3"]),
                MissingOperator(name: "Scan", nodes: ["extra_2"]),
                MissingOperator(name: "com.microsoft.Inverse", nodes: ["extra_4"]),
            ])
        do {
            _ = try loaded.makeEngine()
            Issue.record("a model with unsupported operators compiled")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("unsupported operators TopK (nodes "))
            #expect(text.contains("Loop (nodes 'extra_0', 'extra_3'); Scan (node 'extra_2'); com.microsoft.Inverse (node 'extra_4')"))
        }
        let many = MissingOperator(name: "Abs", nodes: (0..<8).map { "abs_\($0)" })
        #expect(many.description == "Abs (nodes 'abs_0', 'abs_1', 'abs_2', 'abs_3', 'abs_4' and 3 more)")
    }

    @Test func nonFloatInput() throws {
        let error = try #require(loadError("float64_input.onnx"))
        guard case let .nonFloatTensor(tensor, dataType, _) = error else { Issue.record("got \(error)"); return }
        #expect(tensor == "x" && dataType == "float64")
    }

    @Test func nonFloatIntermediate() throws {
        let error = try #require(loadError("int64_intermediate.onnx"))
        guard case let .nonFloatTensor(_, dataType, context) = error else { Issue.record("got \(error)"); return }
        #expect(dataType == "int64" && context.contains("Cast"))
    }

    @Test func dynamicInputAxisWithoutExampleShape() throws {
        let error = try #require(loadError("dynamic_length.onnx"))
        guard case let .unresolvedShape(tensor, reason) = error else { Issue.record("got \(error)"); return }
        #expect(tensor == "x" && reason.contains("dynamic"))
        // Naming the example shape resolves it.
        let engine = try ONNXModel(contentsOf: Fixtures.url("malformed/dynamic_length.onnx")).makeEngine(exampleShape: [1, 5])
        #expect(engine.inputShape == [1, 5])
    }

    @Test func exampleShapeThatContradictsTheModel() throws {
        let model = try ONNXModel(contentsOf: Fixtures.url("models/resnet1d.onnx"))
        #expect(throws: ONNXError.self) { try model.makeEngine(exampleShape: [1, 8000]) }
    }

    @Test func shapeThatDependsOnInputValues() throws {
        let error = try #require(loadError("value_dependent_shape.onnx"))
        guard case let .unresolvedShape(_, reason) = error else { Issue.record("got \(error)"); return }
        #expect(reason.contains("Reshape"))
    }

    @Test func opsetOutsideTheSupportedRange() throws {
        let error = try #require(loadError("old_opset.onnx"))
        #expect(error == .unsupportedOpset(version: 9, supported: 11...21))
    }

    @Test func missingExternalData() throws {
        let error = try #require(loadError("external_missing.onnx"))
        guard case let .missingExternalData(tensor, file, _) = error else { Issue.record("got \(error)"); return }
        #expect(tensor == "W" && file.hasSuffix("external_missing.weights"))
    }

    @Test func presentExternalDataLoads() throws {
        let engine = try ONNXModel(contentsOf: Fixtures.url("malformed/external_present.onnx")).makeEngine()
        let logits = try engine.logits(NDArray(shape: [1, 2], storage: [1, 2]))
        #expect(logits.storage == [6, 9, 12])  // [1 2] x [[0 1 2] [3 4 5]]
    }

    @Test func wrongInputRankOrSize() throws {
        let engine = try ONNXModel(contentsOf: Fixtures.url("models/cnn2d.onnx")).makeEngine()
        for shape in [[1, 20, 24], [1, 1, 20, 25], [2, 1, 20, 24, 1]] {
            #expect(throws: InferenceError.inputShapeMismatch(expected: [-1, 1, 20, 24], actual: shape)) {
                try engine.logits(NDArray(shape: shape, repeating: 0))
            }
        }
        #expect(throws: InferenceError.self) {
            try engine.inputGradient(NDArray(shape: [1, 1, 20, 24], repeating: 0), classes: [6])
        }
    }
}

/// External data is read only from regular files inside the model's folder, and never more
/// than the tensor's dimensions need: a model file cannot make wam read /etc/passwd, /dev/zero
/// or gigabytes, nor trap on an offset past Int64.
@Suite struct ExternalDataTests {
    /// `external_present.onnx` (W: [2, 3] float, 24 bytes) with its external-data entries
    /// replaced, written next to a copy of its weights; the error loading it, if any.
    func loadError(_ entries: [(String, String)], link: (name: String, target: String)? = nil) throws -> ONNXError? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wam-external-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: Fixtures.url("malformed/external_present.weights"),
            to: folder.appendingPathComponent("external_present.weights"))
        if let link {
            try FileManager.default.createSymbolicLink(
                atPath: folder.appendingPathComponent(link.name).path,
                withDestinationPath: link.target)
        }
        var model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: Fixtures.url("malformed/external_present.onnx")))
        model.graph.initializer[0].externalData = entries.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        let url = folder.appendingPathComponent("model.onnx")
        try model.serializedData().write(to: url)
        do {
            _ = try ONNXModel(contentsOf: url).makeEngine()
            return nil
        } catch {
            return error as? ONNXError
        }
    }

    @Test("the unchanged entries load")
    func control() throws {
        #expect(try loadError([("location", "external_present.weights"), ("offset", "0"), ("length", "24")]) == nil)
    }

    @Test(
        "locations outside the model's folder are refused before anything is opened",
        arguments: [
            "../../../../etc/passwd", "/etc/passwd", "/dev/zero", "sub/../../x.weights",
        ])
    func outsideTheFolder(_ location: String) throws {
        let error = try #require(try loadError([("location", location)]))
        #expect(error.description.contains("inside the model's folder"), "\(error)")
    }

    @Test("a link to a device is not a regular file")
    func linkToDevice() throws {
        let error = try #require(try loadError([("location", "zero")], link: ("zero", "/dev/zero")))
        guard case .missingExternalData = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("not a regular file"))
    }

    @Test(
        "offsets and lengths that are not byte counts, or exceed what the dimensions need, are errors, not traps",
        arguments: [("offset", "18446744073709551615"), ("offset", "-1"), ("length", "9223372036854775807"), ("length", "49")])
    func numbers(_ key: String, _ value: String) throws {
        var entries = [("location", "external_present.weights"), ("offset", "0"), ("length", "24")].filter { $0.0 != key }
        entries.append((key, value))
        let error = try #require(try loadError(entries))
        #expect(error.description.contains("W") && error.description.contains(value), "\(error)")
    }
}

/// What the unrolled recurrent cells do not implement is refused at load, naming the node and why.
struct RecurrentRefusalTests {
    static func loadError(_ edit: (inout Onnx_NodeProto) -> Void) throws -> String? {
        var model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: Fixtures.url("ops/gru_reset_after_reverse.onnx")))
        let index = model.graph.node.firstIndex { $0.opType == "GRU" }!
        edit(&model.graph.node[index])
        do {
            _ = try ONNXModel(data: try model.serializedData(), name: "edited.onnx").makeEngine()
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func attribute(_ name: String, int: Int64? = nil, float: Float? = nil, strings: [String]? = nil) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        if let int { (attribute.type, attribute.i) = (.int, int) }
        if let float { (attribute.type, attribute.f) = (.float, float) }
        if let strings { (attribute.type, attribute.strings) = (.strings, strings.map { Data($0.utf8) }) }
        return attribute
    }

    @Test("clip, other activations and a bad direction are refused; the unedited node loads")
    func refusals() throws {
        #expect(try Self.loadError { _ in } == nil)
        for (attribute, message) in [
            (Self.attribute("clip", float: 3), "the 'clip' attribute is not supported"),
            (Self.attribute("activations", strings: ["Relu", "Tanh"]), "activations [\"Relu\", \"Tanh\"] are not supported"),
        ] {
            let error = try #require(try Self.loadError { $0.attribute.append(attribute) })
            #expect(error.contains(message) && error.contains("GRU"), "\(error)")
        }
        let direction = try #require(
            try Self.loadError { node in
                var text = Onnx_AttributeProto()
                (text.name, text.type, text.s) = ("direction", .string, Data("sideways".utf8))
                node.attribute.removeAll { $0.name == "direction" }
                node.attribute.append(text)
            })
        #expect(direction.contains("direction 'sideways' is not forward, reverse or bidirectional"))
        // Sizes that would overflow gates * hidden_size are refused before any arithmetic (was a trap).
        for hidden in [Int64(1) << 62, -(Int64(1) << 62), 0] {
            let error = try #require(
                try Self.loadError { node in
                    node.attribute.removeAll { $0.name == "hidden_size" }
                    node.attribute.append(Self.attribute("hidden_size", int: hidden))
                })
            #expect(error.contains("hidden_size \(hidden) is not in 1..."), "\(error)")
        }
    }
}
