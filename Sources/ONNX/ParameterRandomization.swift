import Foundation

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
        var generator = NormalSampler(seed: seed)
        for node in graph.nodes where chosen.contains(node.name) {
            guard let weightName = weightName(of: node), let weight = initializers[weightName]?.floatArray else { continue }
            let mean = weight.storage.reduce(0, +) / Float(max(weight.count, 1))
            let deviation = (weight.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(max(weight.count, 1))).squareRoot()
            initializers[weightName] = ConstantTensor(.init(shape: weight.shape, storage: (0..<weight.count).map { _ in
                Float(generator.next()) * deviation
            }))
            if node.inputs.count > 2, let bias = initializers[node.inputs[2]]?.floatArray {
                initializers[node.inputs[2]] = ConstantTensor(.init(shape: bias.shape, repeating: 0))
            }
        }
        let changed = GraphDescription(nodes: graph.nodes, initializers: initializers, inputs: graph.inputs, outputs: graph.outputs,
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

/// Standard normal numbers from a seed (SplitMix64 and Box-Muller).
private struct NormalSampler {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (Double((z ^ (z >> 31)) >> 11) + 0.5) / Double(1 << 53)
    }

    mutating func next() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }
}
