import NDArray

/// ONNX `Conv`: grouped N-D cross-correlation plus an optional per-channel bias.
/// The backward pass computes the input gradient only (weights are constants).
public struct Convolution: DifferentiableOperation {
    public let name = "Conv"
    /// The shapes involved.
    public let geometry: ConvolutionGeometry
    private let kernels: CorrelationWithAdjoint
    private let bias: [Float]?

    /// A convolution of an input of `inputShape` with `weights` `[M, C/groups, kernel...]`.
    public init(
        inputShape: [Int], weights: NDArray<Float>, bias: NDArray<Float>?, groups: Int,
        strides: [Int], dilations: [Int], padsBegin: [Int], padsEnd: [Int]
    ) throws(InferenceError) {
        guard weights.rank >= 3, inputShape.count == weights.rank else {
            throw .invalidShapes(
                operation: name, shapes: [inputShape, weights.shape],
                expected: "input [N, C, ...] and weights [M, C/group, ...] of the same rank (3 to 5)")
        }
        geometry = try ConvolutionGeometry(
            operation: name, inputShape: inputShape, outputChannels: weights.shape[0],
            kernelSize: Array(weights.shape.dropFirst(2)), groups: groups, strides: strides,
            dilations: dilations, padsBegin: padsBegin, padsEnd: padsEnd)
        guard weights.shape == geometry.weightShape else {
            throw .invalidShapes(
                operation: name, shapes: [inputShape, weights.shape],
                expected: "weights \(geometry.weightShape) for \(inputShape[1]) input channels in \(groups) groups")
        }
        if let bias, bias.shape != [geometry.outputChannels] {
            throw .invalidShapes(operation: name, shapes: [bias.shape], expected: "a bias of shape [\(geometry.outputChannels)]")
        }
        kernels = CorrelationWithAdjoint(geometry: geometry, weights: weights.storage)
        self.bias = bias?.storage
    }

    public var inputShapes: [[Int]] { [geometry.inputShape] }
    public var outputShape: [Int] { geometry.outputShape }
    public var backwardReads: BackwardReads { [] }

    public func scratchCount(for parallelism: Parallelism) -> Int { kernels.scratchCount(for: parallelism) }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        kernels.apply(inputs[0], into: output, accumulate: false, context: context)
        if let bias { addChannelBias(bias, to: output, positions: geometry.outputPositions) }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let inputGradient = inputGradients[0] else { return }
        kernels.applyAdjoint(outputGradient, into: inputGradient, accumulate: true, context: context)
    }

    public func backwardWriting(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradient: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        kernels.applyAdjoint(outputGradient, into: inputGradient, accumulate: false, context: context)
    }
}

/// ONNX `ConvTranspose`: the adjoint of a grouped convolution plus an optional bias. Weights are
/// `[C, M/groups, kernel...]` for an input with C channels and an output with M.
public struct TransposedConvolution: DifferentiableOperation {
    public let name = "ConvTranspose"
    /// The convolution this operation is the adjoint of (its input is this operation's output).
    public let geometry: ConvolutionGeometry
    private let kernels: CorrelationWithAdjoint
    private let bias: [Float]?

    /// A transposed convolution of an input of `inputShape` into an output of spatial size
    /// `outputSize`; `outputSize` must be one the forward convolution maps back onto the input.
    public init(
        inputShape: [Int], outputSize: [Int], weights: NDArray<Float>, bias: NDArray<Float>?, groups: Int,
        strides: [Int], dilations: [Int], padsBegin: [Int], padsEnd: [Int]
    ) throws(InferenceError) {
        guard weights.rank >= 3, inputShape.count == weights.rank, outputSize.count == weights.rank - 2, groups >= 1,
            inputShape[1] == weights.shape[0]
        else {
            throw .invalidShapes(
                operation: name, shapes: [inputShape, weights.shape],
                expected: "input [N, C, ...] and weights [C, M/group, ...] of the same rank (3 to 5)")
        }
        let outputShape = [inputShape[0], weights.shape[1] * groups] + outputSize
        geometry = try ConvolutionGeometry(
            operation: name, inputShape: outputShape, outputChannels: inputShape[1],
            kernelSize: Array(weights.shape.dropFirst(2)), groups: groups, strides: strides,
            dilations: dilations, padsBegin: padsBegin, padsEnd: padsEnd)
        guard geometry.outputShape == inputShape else {
            throw .invalidParameter(
                operation: name, parameter: "output size", value: "\(outputSize)",
                expected: "a size whose convolution gives back the input size \(Array(inputShape.dropFirst(2)))")
        }
        if let bias, bias.shape != [outputShape[1]] {
            throw .invalidShapes(operation: name, shapes: [bias.shape], expected: "a bias of shape [\(outputShape[1])]")
        }
        kernels = CorrelationWithAdjoint(geometry: geometry, weights: weights.storage)
        self.bias = bias?.storage
    }

    public var inputShapes: [[Int]] { [geometry.outputShape] }
    public var outputShape: [Int] { geometry.inputShape }
    public var backwardReads: BackwardReads { [] }

    public func scratchCount(for parallelism: Parallelism) -> Int { kernels.scratchCount(for: parallelism) }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        kernels.applyAdjoint(inputs[0], into: output, accumulate: false, context: context)
        if let bias { addChannelBias(bias, to: output, positions: geometry.inputPositions) }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let inputGradient = inputGradients[0] else { return }
        kernels.apply(outputGradient, into: inputGradient, accumulate: true, context: context)
    }
}

/// Adds `bias[c]` to every position of channel `c` of an `[N, C, positions]` tensor.
func addChannelBias(_ bias: [Float], to tensor: UnsafeMutableBufferPointer<Float>, positions: Int) {
    let channels = bias.count
    for plane in 0..<(tensor.count / max(1, positions)) {
        let value = bias[plane % channels]
        let row = tensor.baseAddress! + plane * positions
        for index in 0..<positions { row[index] += value }
    }
}
