import ArrayIO
import Foundation
import Inference
import NDArray
import NumericTestSupport
import ONNX
import Testing

/// One-operator graphs: forward against onnxruntime, backward against central finite differences.
struct OperatorParityTests {
    /// The one-operator graphs of `make_engine_fixtures.py`, and its single recurrent and spectral nodes.
    static let archives = ["ops.npz", "recurrent_nodes.npz", "spectral_nodes.npz"]

    static let arrays: [String: NpyArray] = archives.reduce(into: [:]) { all, archive in
        all.merge((try? Fixtures.arrays(archive)) ?? [:]) { first, _ in first }
    }

    static let cases: [String] = arrays.keys.filter { $0.hasSuffix(".input") }.map { String($0.dropLast(".input".count)) }.sorted()

    @Test func everyCaseIsPresent() {
        #expect(Self.cases.count >= 85)
        #expect(Self.cases.contains("gru_reset_after_reverse") && Self.cases.contains("lstm_reverse_initial"))
        #expect(Self.cases.contains("stft_complex") && Self.cases.contains("dft_complex_inverse"))
    }

    @Test(arguments: cases)
    func forwardMatchesOnnxRuntime(case name: String) throws {
        let engine = try ONNXModel(contentsOf: Fixtures.url("ops/\(name).onnx")).makeEngine()
        let output = try engine.logits(Self.arrays["\(name).input"]!.asFloat)
        let expected = Self.arrays["\(name).output"]!.asFloat
        #expect(output.shape == expected.shape)
        #expect(relativeError(output, expected) < 1e-5)
    }

    @Test(arguments: cases)
    func backwardMatchesFiniteDifferences(case name: String) throws {
        let engine = try ONNXModel(contentsOf: Fixtures.url("ops/\(name).onnx")).makeEngine()
        let input = Self.arrays["\(name).input"]!.asFloat
        let check = try FiniteDifferenceCheck(engine: engine, input: input)
        #expect(check.worstError <= check.tolerance, "coordinate \(check.worstCoordinate): \(check.worstError) > \(check.tolerance)")
    }
}

/// Compares the engine's vector-Jacobian product with central differences of the engine's own
/// forward pass, on a deterministic selection of input coordinates.
struct FiniteDifferenceCheck {
    let worstError: Float
    let worstCoordinate: Int
    let tolerance: Float

    init(engine: InferenceEngine, input: NDArray<Float>, step: Float = 1e-3, coordinates: Int = 48) throws {
        // A fixed, irregular cotangent in [-1, 1].
        let outputCount = input.shape[0] * engine.classCount
        let cotangent = NDArray(
            shape: [input.shape[0]] + engine.outputShape,
            storage: (0..<outputCount).map { Float(sin(Double($0) * 2.399 + 0.5)) })
        let gradient = try engine.vectorJacobianProduct(input, cotangent: cotangent).inputGradient
        func objective(_ x: NDArray<Float>) throws -> Double {
            zip(try engine.logits(x).storage, cotangent.storage).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let stride = max(1, input.count / coordinates)
        var worst: (error: Float, coordinate: Int) = (0, -1)
        for coordinate in Swift.stride(from: stride / 2, to: input.count, by: stride) {
            var plus = input, minus = input
            plus.storage[coordinate] += step
            minus.storage[coordinate] -= step
            let estimate = Float((try objective(plus) - objective(minus)) / Double(2 * step))
            let error = abs(estimate - gradient.storage[coordinate])
            if error > worst.error { worst = (error, coordinate) }
        }
        worstError = worst.error
        worstCoordinate = worst.coordinate
        tolerance = 2e-3 * (gradient.storage.map(abs).max() ?? 0) + 2e-3
    }
}
