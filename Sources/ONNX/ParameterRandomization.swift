import Foundation
import NDArray

extension ONNXModel {
    /// Names of the nodes that hold learned weights (Conv, ConvTranspose, Gemm, MatMul with a
    /// constant operand), from the output back to the input: the order of the cascading
    /// randomisation check.
    public var parameterisedLayers: [String] {
        graph.nodes.reversed().filter { weightName(of: $0) != nil }.map(\.name)
    }

    /// This model with the weights of its `count` topmost parameterised layers redrawn from a
    /// normal distribution of the original weights' standard deviation (seeded), and their biases
    /// set to zero. A model whose explanations do not change under this is not being explained.
    public func randomizingTopLayers(_ count: Int, seed: UInt64) -> ONNXModel {
        let chosen = Set(parameterisedLayers.prefix(count))
        var initializers = graph.initializers
        var generator = SeededNormal(seed: seed)
        for node in graph.nodes where chosen.contains(node.name) {
            guard let weightName = weightName(of: node), let weight = initializers[weightName]?.floatArray else { continue }
            let mean = weight.storage.reduce(0, +) / Float(max(weight.count, 1))
            let deviation = (weight.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(max(weight.count, 1))).squareRoot()
            initializers[weightName] = ConstantTensor(
                .init(
                    shape: weight.shape,
                    storage: generator.samples(weight.count, deviation: Double(deviation))))
            if node.inputs.count > 2, let bias = initializers[node.inputs[2]]?.floatArray {
                initializers[node.inputs[2]] = ConstantTensor(.init(shape: bias.shape, repeating: 0))
            }
        }
        let changed = GraphDescription(
            nodes: graph.nodes, initializers: initializers, inputs: graph.inputs, outputs: graph.outputs,
            opset: graph.opset, producer: graph.producer)
        return ONNXModel(summary: summary, graph: changed)
    }

    private init(summary: ModelSummary, graph: GraphDescription) {
        self.summary = summary
        self.graph = graph
    }

    private func weightName(of node: GraphDescription.Node) -> String? {
        switch node.opType {
        case "Conv", "ConvTranspose", "Gemm":
            return node.inputs.count > 1 && graph.initializers[node.inputs[1]] != nil ? node.inputs[1] : nil
        case "MatMul":
            return node.inputs.first { graph.initializers[$0] != nil }
        default:
            return nil
        }
    }
}
