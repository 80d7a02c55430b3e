import Inference
import NDArray

/// `BatchNormalization` (inference), `LayerNormalization`, `InstanceNormalization`, `Softmax` and `LogSoftmax`.
enum NormalizationOperators {
    static let handlers: [String: OperatorHandler] = [
        "BatchNormalization": batchNormalization,
        "LayerNormalization": layerNormalization,
        "InstanceNormalization": instanceNormalization,
        "Softmax": { c in try softmax(&c, logarithmic: false) },
        "LogSoftmax": { c in try softmax(&c, logarithmic: true) },
    ]

    /// `scale * (x - mean) / sqrt(var + epsilon) + bias` per channel, with the statistics folded.
    private static func batchNormalization(_ c: inout Compilation) throws -> [CompiledValue] {
        if try c.int("training_mode", default: 0) != 0 {
            throw c.failure("training_mode = 1 (batch statistics) is not supported; export the model in eval mode")
        }
        let input = try c.tensor(0)
        var parameters: [[Double]] = []
        for (index, role) in [(1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")] {
            guard let tensor = try c.constant(index, role: role) else { throw c.failure("input \(index) (\(role)) is required") }
            guard tensor.dataType == .float else {
                throw ONNXError.nonFloatTensor(
                    tensor: c.node.inputs[index], dataType: tensor.dataType.name,
                    context: "the \(role) of BatchNormalization (node '\(c.node.name)')")
            }
            parameters.append(tensor.doubles)
        }
        let epsilon = Double(try c.float("epsilon", default: 1e-5))
        let scale = zip(parameters[0], parameters[3]).map { $0 / ($1 + epsilon).squareRoot() }
        let shift = zip(parameters[1], zip(parameters[2], scale)).map { $0 - $1.0 * $1.1 }
        // Outputs beyond the first (running statistics) exist only in training mode.
        return [
            try c.apply(
                try ChannelAffine(shape: input.shape, scale: scale.map { Float($0) }, shift: shift.map { Float($0) }),
                to: [input])
        ]
    }

    /// `(x - mean) / sqrt(var + epsilon) * scale + bias`, the statistics over the axes from `axis`
    /// to the last.
    private static func layerNormalization(_ c: inout Compilation) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        let rank = input.shape.count
        let axis = try c.int("axis", default: -1)
        guard (-rank..<rank).contains(axis) else { throw c.failure("axis \(axis) is outside -\(rank)..<\(rank)") }
        if c.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw c.failure("the Mean and InvStdDev outputs (training) are not supported")
        }
        let scale = try c.tensor(1)
        let bias = c.node.inputs.count > 2 && !c.node.inputs[2].isEmpty ? try c.tensor(2) : nil
        return [.runtime(try normalized(&c, input, axes: Array((axis < 0 ? axis + rank : axis)..<rank), scale: scale, bias: bias))]
    }

    /// Per example and channel of [N, C, ...], the statistics over the spatial axes; `scale` and
    /// `bias` per channel.
    private static func instanceNormalization(_ c: inout Compilation) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        let rank = input.shape.count
        guard rank >= 3 else { throw c.failure("input \(input.shape) is not [batch, channels, spatial...]") }
        let perChannel = [input.shape[1]] + Array(repeating: 1, count: rank - 2)
        guard let scale = try c.tensor(1).reshaped(perChannel), let bias = try c.tensor(2).reshaped(perChannel) else {
            throw c.failure("scale and bias must hold one value per channel (\(input.shape[1]))")
        }
        return [.runtime(try normalized(&c, input, axes: Array(2..<rank), scale: scale, bias: bias))]
    }

    /// `(x - mean) / sqrt(var + epsilon) * scale (+ bias)` with the statistics over `axes`,
    /// composed of reductions and broadcasting arithmetic (so differentiable as they are).
    private static func normalized(
        _ c: inout Compilation, _ input: TensorHandle, axes: [Int], scale: TensorHandle, bias: TensorHandle?
    ) throws -> TensorHandle {
        let name = c.node.opType
        let epsilon = try c.float("epsilon", default: 1e-5)
        func mean(_ x: TensorHandle) throws(ONNXError) -> TensorHandle {
            try c.run(try Reduction(.mean, shape: x.shape, axes: axes, keepDimensions: true, name: name), on: [x])
        }
        func combine(_ function: Arithmetic.Function, _ a: TensorHandle, _ b: TensorHandle) throws(ONNXError) -> TensorHandle {
            try c.run(try Arithmetic(function, a.shape, b.shape), on: [a, b])
        }
        let centered = try combine(.subtract, input, try mean(input))
        let squares = try c.run(Elementwise(.power(2), shape: centered.shape, name: name), on: [centered])
        let shifted = try combine(.add, try mean(squares), c.builder.constant(NDArray(shape: [1], storage: [epsilon])))
        let deviation = try c.run(Elementwise(.squareRoot, shape: shifted.shape, name: name), on: [shifted])
        let output = try combine(.multiply, try combine(.divide, centered, deviation), scale)
        return try bias.map { try combine(.add, output, $0) } ?? output
    }

    /// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and normalized along its
    /// second axis; since, one axis (default -1) is normalized.
    private static func softmax(_ c: inout Compilation, logarithmic: Bool) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        let axis = try c.int("axis", default: c.opset < 13 ? 1 : -1)
        guard c.opset < 13 else {
            return [try c.apply(try Softmax(shape: input.shape, axis: axis, logarithmic: logarithmic), to: [input])]
        }
        let rank = input.shape.count
        guard (-rank...rank).contains(axis) else { throw c.failure("axis \(axis) is outside -\(rank)...\(rank)") }
        let split = axis < 0 ? axis + rank : axis
        let matrix = input.reshaped([input.shape[..<split].reduce(1, *), input.shape[split...].reduce(1, *)])!
        let result = try c.run(try Softmax(shape: matrix.shape, axis: 1, logarithmic: logarithmic), on: [matrix])
        return [.runtime(result.reshaped(input.shape)!)]
    }
}
