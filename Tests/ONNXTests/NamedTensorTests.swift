import Inference
import NDArray
import ONNX
import Testing

/// Activations and gradients of intermediate tensors by their ONNX names (what GradCAM reads).
struct NamedTensorTests {
    let engine: InferenceEngine
    let batch: NDArray<Float>

    init() throws {
        engine = try ONNXModel(contentsOf: Fixtures.url("models/resnet1d.onnx")).makeEngine()
        batch = try Fixtures.arrays("models/resnet1d.npz")["input"]!.asFloat
    }

    /// The logits are `W f + b` of the flattened features `f`, so the gradient with respect to `f`
    /// is the class's row of `W` for every example, and logit differences are `W (f1 - f2)`.
    @Test func gradientOfTheLastLinearLayerInputIsItsWeightRow() throws {
        let features = "/Flatten_output_0"
        let result = try engine.evaluate(batch, EvaluationRequest(cotangent: .classes([4, 4]), activations: [features], gradients: [features]))
        let gradient = try #require(result.gradients[features]), activation = try #require(result.activations[features])
        #expect(gradient.shape == [2, 128] && activation.shape == [2, 128])
        let rows = (gradient.storage[0..<128], gradient.storage[128..<256])
        #expect(zip(rows.0, rows.1).allSatisfy { abs($0 - $1) < 1e-6 })
        let difference = zip(activation.storage[0..<128], activation.storage[128..<256]).map { $0 - $1 }
        let predicted = zip(difference, rows.0).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        let actual = result.output.storage[4] - result.output.storage[14]
        #expect(abs(predicted - actual) < 1e-5)
    }

    /// A convolution block's output (the usual GradCAM layer): its gradient pulled back through the
    /// rest of the network matches the input gradient's own chain (same numbers whichever is asked).
    @Test func intermediateRequestsDoNotChangeTheInputGradient() throws {
        let layer = "/layers/layers.5/Relu_1_output_0"
        #expect(engine.tensorNames.contains(layer))
        let plain = try engine.inputGradient(batch, classes: [1, 2])
        let inspected = try engine.evaluate(batch, EvaluationRequest(cotangent: .classes([1, 2]), activations: [layer], gradients: [layer]))
        #expect(inspected.inputGradient == plain.gradient)
        #expect(inspected.output == plain.logits)
        let activation = try #require(inspected.activations[layer]), gradient = try #require(inspected.gradients[layer])
        #expect(activation.shape == [2, 128, 125] && gradient.shape == [2, 128, 125])
        #expect(activation.storage.allSatisfy { $0 >= 0 })  // A ReLU output.
        // Global average pooling spreads each feature's gradient evenly over the 125 positions.
        #expect(abs(gradient.storage[0] - gradient.storage[124]) < 1e-7)
    }

    @Test func unknownNamesListTheKnownOnes() throws {
        do {
            _ = try engine.evaluate(batch, EvaluationRequest(activations: ["conv9"]))
            Issue.record("expected an error")
        } catch let error as InferenceError {
            #expect(error.description.contains("no tensor named 'conv9'") && error.description.contains("/Flatten_output_0"))
        }
    }
}
