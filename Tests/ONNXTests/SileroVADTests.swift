import ArrayIO
import Foundation
import Inference
import NDArray
import NumericTestSupport
import ONNX
import Testing

/// silero-vad, the bundled real model (Samples/models/silero-vad): streaming with its state
/// carried against onnxruntime, and input gradients against PyTorch autograd on silero_vad.jit
/// (Tools/make_silero_fixtures.py).
struct SileroVADTests {
    static let models = ["silero_vad.onnx", "silero_vad_16k_op15.onnx"]
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/models/silero-vad")
    static let chunk = 512, context = 64

    static func bindings(carryingState: Bool) -> ModelBindings {
        ModelBindings(values: ["sr": InputValue(scalar: 16000)], state: carryingState ? ["state": "stateN"] : [:])
    }

    /// Chunked as silero's wrapper does (64 samples of context before each 512), the state
    /// carried from call to call: every speech probability within 1e-4 of onnxruntime's.
    @Test(arguments: models)
    func streamingMatchesOnnxRuntime(model name: String) throws {
        let fixture = try Fixtures.arrays("silero/reference.npz")
        let audio = fixture["audio"]!.asFloat.storage
        let expected = fixture["\(name).probabilities"]!.asFloat.storage
        let engine = try ONNXModel(contentsOf: Self.folder.appendingPathComponent(name))
            .makeEngine(exampleShape: [576], bindings: Self.bindings(carryingState: true))
        #expect(engine.inputShape == [Self.context + Self.chunk])
        #expect(engine.heldInputs.map(\.name) == ["state"])
        var state = NDArray<Float>(shape: [2, 1, 128], repeating: 0)
        var context = [Float](repeating: 0, count: Self.context)
        var probabilities: [Float] = []
        for start in stride(from: 0, through: audio.count - Self.chunk, by: Self.chunk) {
            let window = context + audio[start..<(start + Self.chunk)]
            let result = try engine.evaluate(
                NDArray(shape: [1, window.count], storage: window),
                EvaluationRequest(activations: ["stateN"], heldInputs: ["state": state]))
            probabilities.append(result.output.storage[0])
            state = NDArray(shape: [2, 1, 128], storage: result.activations["stateN"]!.storage)
            context = Array(window.suffix(Self.context))
        }
        #expect(probabilities.count == expected.count)
        let worst = zip(probabilities, expected).map { abs($0 - $1) }.max() ?? .infinity
        print("\(name): \(probabilities.count) chunks, largest probability difference \(worst)")
        #expect(worst < 1e-4)
        #expect(relativeError(state, fixture["\(name).final_state"]!.asFloat.reshaped([2, 1, 128])) < 1e-4)
    }

    /// The gradient of the speech probability with respect to a chunk (and its context), the
    /// incoming state held fixed, against PyTorch autograd on the TorchScript model (one chunk is
    /// digital silence: PyTorch's gradient is NaN there, the engine's 0).
    @Test(arguments: models)
    func inputGradientsMatchPyTorch(model name: String) throws {
        let fixture = try Fixtures.arrays("silero/reference.npz")
        let inputs = fixture["gradient.inputs"]!.asFloat, states = fixture["gradient.states"]!.asFloat
        let expected = fixture["gradient.input_grad"]!.asFloat
        let engine = try ONNXModel(contentsOf: Self.folder.appendingPathComponent(name))
            .makeEngine(exampleShape: [576], bindings: Self.bindings(carryingState: true))
        let size = Self.context + Self.chunk, stateSize = 2 * 128
        for index in 0..<inputs.shape[0] {
            let state = NDArray(shape: [2, 1, 128], storage: Array(states.storage[(index * stateSize)..<((index + 1) * stateSize)]))
            let input = NDArray(shape: [1, size], storage: Array(inputs.storage[(index * size)..<((index + 1) * size)]))
            let result = try engine.evaluate(input, EvaluationRequest(cotangent: .classes([0]), heldInputs: ["state": state]))
            let reference = NDArray(shape: [1, size], storage: Array(expected.storage[(index * size)..<((index + 1) * size)]))
            // Digital silence: |STFT| = sqrt(re^2 + im^2) at 0, where PyTorch's gradient is NaN;
            // the engine takes the norm's subgradient 0 there, so the gradient is finite (0).
            if reference.storage.contains(where: \.isNaN) {
                #expect(result.inputGradient!.storage.allSatisfy { $0 == 0 })
                continue
            }
            let error = relativeError(result.inputGradient!, reference)
            print("\(name) chunk \(index): input gradient relative error \(error)")
            #expect(error < 1e-3)
        }
    }

    /// Given at load instead of carried, the state is a constant: the same probabilities.
    @Test func stateGivenAtLoadIsAConstant() throws {
        let fixture = try Fixtures.arrays("silero/reference.npz")
        let inputs = fixture["gradient.inputs"]!.asFloat, states = fixture["gradient.states"]!.asFloat
        let url = Self.folder.appendingPathComponent(Self.models[0])
        let state = NDArray(shape: [2, 1, 128], storage: Array(states.storage[0..<256]))
        let input = NDArray(shape: [1, 576], storage: Array(inputs.storage[0..<576]))
        var bindings = Self.bindings(carryingState: false)
        bindings.values["state"] = InputValue(state)
        let fixed = try ONNXModel(contentsOf: url).makeEngine(exampleShape: [576], bindings: bindings).logits(input)
        let held = try ONNXModel(contentsOf: url).makeEngine(exampleShape: [576], bindings: Self.bindings(carryingState: true))
            .evaluate(input, EvaluationRequest(heldInputs: ["state": state])).output
        #expect(fixed.shape == [1, 1])
        #expect(abs(fixed.storage[0] - held.storage[0]) < 1e-6)
    }
}
