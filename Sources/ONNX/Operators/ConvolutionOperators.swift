import Inference
import NDArray

/// `Conv` and `ConvTranspose`.
enum ConvolutionOperators {
    static let handlers: [String: OperatorHandler] = ["Conv": convolution, "ConvTranspose": transposedConvolution]

    /// Weights `[M, C/group, kernel...]` (or `[C, M/group, kernel...]`) and an optional bias, as constants.
    private static func parameters(_ c: Compilation) throws(ONNXError) -> (weights: NDArray<Float>, bias: NDArray<Float>?) {
        guard let weights = try c.constant(1, role: "weights") else { throw c.failure("input 1 (the weights) is required") }
        guard let array = weights.floatArray else {
            throw .nonFloatTensor(
                tensor: c.node.inputs[1], dataType: weights.dataType.name,
                context: "the weights of \(c.node.opType) (node '\(c.node.name)')")
        }
        guard array.rank >= 3 else { throw c.failure("weights have shape \(array.shape); expected rank 3 to 5") }
        guard let bias = try c.constant(2, role: "bias") else { return (array, nil) }
        guard let biasArray = bias.floatArray else {
            throw .nonFloatTensor(tensor: c.node.inputs[2], dataType: bias.dataType.name, context: "the bias of \(c.node.opType)")
        }
        return (array, biasArray)
    }

    /// The kernel size: the `kernel_shape` attribute, which must agree with the weights.
    private static func kernel(_ c: Compilation, weights: NDArray<Float>) throws(ONNXError) -> [Int] {
        let kernel = Array(weights.shape.dropFirst(2))
        if let declared = try c.ints("kernel_shape"), declared != kernel {
            throw c.failure("kernel_shape \(declared) disagrees with the weights' kernel \(kernel)")
        }
        return kernel
    }

    private static func convolution(_ c: inout Compilation) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        let (weights, bias) = try parameters(c)
        let kernel = try kernel(c, weights: weights)
        let attributes = try SpatialAttributes(c, kernel: kernel, inputSize: Array(input.shape.dropFirst(2)))
        let groups = try c.int("group", default: 1)
        return [
            try c.apply(
                try Convolution(
                    inputShape: input.shape, weights: weights, bias: bias, groups: groups,
                    strides: attributes.strides, dilations: attributes.dilations,
                    padsBegin: attributes.padsBegin, padsEnd: attributes.padsEnd), to: [input])
        ]
    }

    private static func transposedConvolution(_ c: inout Compilation) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        let (weights, bias) = try parameters(c)
        let kernel = try kernel(c, weights: weights)
        let inputSize = Array(input.shape.dropFirst(2))
        let rank = kernel.count
        let attributes = try SpatialAttributes(c, kernel: kernel, inputSize: inputSize)
        let outputPadding = try c.ints("output_padding") ?? Array(repeating: 0, count: rank)
        let autoPad = try c.string("auto_pad", default: "NOTSET")
        var requested = try c.ints("output_shape")
        if let shape = requested, shape.count == rank + 2 { requested = Array(shape.dropFirst(2)) }
        guard outputPadding.count == rank, requested.map({ $0.count == rank }) ?? true else {
            throw c.failure("output_padding \(outputPadding) and output_shape \(requested ?? []) must have \(rank) values")
        }
        var (padsBegin, padsEnd) = (attributes.padsBegin, attributes.padsEnd)
        var outputSize: [Int] = []
        for axis in 0..<rank {
            let span = attributes.dilations[axis] * (kernel[axis] - 1) + 1
            let natural = attributes.strides[axis] * (inputSize[axis] - 1) + outputPadding[axis] + span
            let target = requested?[axis] ?? (autoPad.hasPrefix("SAME") ? inputSize[axis] * attributes.strides[axis] : nil)
            if let target {
                // ONNX: SAME_UPPER puts the smaller half first, everything else the larger half.
                let total = natural - target
                let small = total / 2
                padsBegin[axis] = autoPad == "SAME_UPPER" ? small : total - small
                padsEnd[axis] = autoPad == "SAME_UPPER" ? total - small : small
            }
            outputSize.append(natural - padsBegin[axis] - padsEnd[axis])
        }
        let groups = try c.int("group", default: 1)
        return [
            try c.apply(
                try TransposedConvolution(
                    inputShape: input.shape, outputSize: outputSize, weights: weights, bias: bias,
                    groups: groups, strides: attributes.strides, dilations: attributes.dilations,
                    padsBegin: padsBegin, padsEnd: padsEnd), to: [input])
        ]
    }
}
