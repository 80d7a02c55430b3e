import Foundation
import Inference
import NDArray
import ONNX
import Testing

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
        guard case let .unsupportedOperator(opType, _, node, supported) = error else { Issue.record("got \(error)"); return }
        #expect(opType == "TopK")
        #expect(!node.isEmpty && error.description.contains(node))
        #expect(supported.contains("Conv") && supported.contains("Gemm") && supported == ONNXModel.supportedOperators)
        #expect(error.description.contains("supported operators: "))
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
