import ArrayIO
import Inference
import NDArray
import NumericTestSupport
import ONNX
import Testing

/// Models exported from PyTorch: the engine's logits and input gradients against PyTorch's.
struct WholeModelParityTests {
    static let models = [
        "resnet1d", "resnet1d_batchnorm", "cnn2d", "cnn3d", "conv_gru", "conv_lstm", "conv_gru_unidirectional", "stft_mel_cnn",
        "conv_lstm_filterbank", "m5", "samplecnn",
    ]

    /// The reference data of a model; the BatchNorm export shares the folded export's.
    static func fixture(_ model: String) throws -> [String: NpyArray] {
        try Fixtures.arrays("models/\(model == "resnet1d_batchnorm" ? "resnet1d" : model).npz")
    }

    @Test(arguments: models)
    func logitsAndInputGradientsMatchPyTorch(model name: String) throws {
        let fixture = try Self.fixture(name)
        let model = try ONNXModel(contentsOf: Fixtures.url("models/\(name).onnx"))
        let engine = try model.makeEngine()
        let classes = fixture["classes"]!.asIntegers!
        let (logits, gradient) = try engine.inputGradient(fixture["input"]!.asFloat, classes: classes)
        let logitsError = relativeError(logits, fixture["logits"]!.asFloat)
        let gradientError = relativeError(gradient, fixture["input_grad"]!.asFloat)
        print("\(name): logits relative error \(logitsError), input gradient relative error \(gradientError)")
        #expect(logitsError < 1e-4)
        #expect(gradientError < 1e-3)
    }

    /// With the default one example per pass, neither the batch nor the thread count changes a bit.
    @Test(arguments: models)
    func resultsDoNotDependOnBatchingOrThreads(model name: String) throws {
        let fixture = try Self.fixture(name)
        let model = try ONNXModel(contentsOf: Fixtures.url("models/\(name).onnx"))
        let batch = fixture["input"]!.asFloat
        let classes = fixture["classes"]!.asIntegers!
        let reference = try model.makeEngine().inputGradient(batch, classes: classes)
        let threaded = try model.makeEngine(options: EngineOptions(threads: 2)).inputGradient(batch, classes: classes)
        #expect(threaded.logits == reference.logits)
        #expect(threaded.gradient == reference.gradient)

        let count = batch.count / batch.shape[0]
        let last = batch.shape[0] - 1
        let alone = NDArray(shape: [1] + batch.shape.dropFirst(), storage: Array(batch.storage[(last * count)...]))
        let single = try model.makeEngine().inputGradient(alone, classes: [classes[last]])
        #expect(single.gradient.storage == Array(reference.gradient.storage[(last * count)...]))
    }

    /// Several examples per pass may change the last bits (OpenBLAS picks kernels by matrix size), no more.
    @Test(arguments: models)
    func largerPassesAgreeToRounding(model name: String) throws {
        let fixture = try Self.fixture(name)
        let model = try ONNXModel(contentsOf: Fixtures.url("models/\(name).onnx"))
        let batch = fixture["input"]!.asFloat
        let classes = fixture["classes"]!.asIntegers!
        let reference = try model.makeEngine().inputGradient(batch, classes: classes)
        for options in [EngineOptions(threads: 1, maxBatch: 8), EngineOptions(threads: 2, maxBatch: 8)] {
            let result = try model.makeEngine(options: options).inputGradient(batch, classes: classes)
            #expect(relativeError(result.logits, reference.logits) < 1e-6, "\(options)")
            #expect(relativeError(result.gradient, reference.gradient) < 1e-6, "\(options)")
        }
    }
}
