import NDArray
import Testing

@testable import ONNX

/// The model side of the cascading randomisation check (`wam eval --sanity`).
struct ParameterRandomizationTests {
    private static func standardDeviation(_ values: [Float]) -> Float {
        let mean = values.reduce(0, +) / Float(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)).squareRoot()
    }

    @Test("layers are listed from the output back; the top ones are redrawn with their spread, their biases zeroed, the rest kept")
    func topLayersAreRedrawn() throws {
        let model = try ONNXModel(contentsOf: Fixtures.url("models/cnn2d.onnx"))
        let layers = model.parameterisedLayers
        let top = try #require(model.graph.nodes.first { $0.name == layers.first })
        let next = try #require(model.graph.nodes.first { $0.name == layers.dropFirst().first })
        #expect(top.opType == "Gemm" && next.opType == "Conv")

        let randomized = model.randomizingTopLayers(1, seed: 7)
        let (weight, bias) = (top.inputs[1], top.inputs[2])
        let original = try #require(model.graph.initializers[weight]?.floatArray)
        let redrawn = try #require(randomized.graph.initializers[weight]?.floatArray)
        #expect(redrawn.shape == original.shape && redrawn.storage != original.storage)
        let ratio = Self.standardDeviation(redrawn.storage) / Self.standardDeviation(original.storage)
        #expect(abs(ratio - 1) < 0.15, "spread ratio \(ratio)")
        #expect(randomized.graph.initializers[bias]?.floatArray?.storage.allSatisfy { $0 == 0 } == true)
        for (name, tensor) in model.graph.initializers where name != weight && name != bias {
            #expect(randomized.graph.initializers[name]?.floatArray?.storage == tensor.floatArray?.storage, "\(name) changed")
        }

        #expect(model.randomizingTopLayers(1, seed: 7).graph.initializers[weight]?.floatArray == redrawn)
        #expect(model.randomizingTopLayers(1, seed: 8).graph.initializers[weight]?.floatArray != redrawn)
        let two = model.randomizingTopLayers(2, seed: 7)
        #expect(two.graph.initializers[next.inputs[1]]?.floatArray != model.graph.initializers[next.inputs[1]]?.floatArray)
    }
}
