/// `y[n, c, ...] = scale[c] * x[n, c, ...] + shift[c]`: ONNX `BatchNormalization` in inference
/// mode, with the statistics folded into `scale` and `shift`.
public struct ChannelAffine: DifferentiableOperation {
    public let name: String
    /// Shape of the input and the output, `[N, C, ...]`.
    public let shape: [Int]
    private let scale: [Float]
    private let shift: [Float]

    /// An affine map per channel (axis 1) of a tensor of `shape`.
    public init(name: String = "BatchNormalization", shape: [Int], scale: [Float], shift: [Float]) throws(InferenceError) {
        guard shape.count >= 2, scale.count == shape[1], shift.count == shape[1] else {
            throw .invalidShapes(
                operation: name, shapes: [shape, [scale.count], [shift.count]],
                expected: "an input [N, C, ...] and C scales and shifts")
        }
        self.name = name
        self.shape = shape
        self.scale = scale
        self.shift = shift
    }

    public var inputShapes: [[Int]] { [shape] }
    public var outputShape: [Int] { shape }
    public var backwardReads: BackwardReads { [] }

    private var positions: Int { elementCount(Array(shape.dropFirst(2))) }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let input = inputs[0], positions = positions, channels = shape[1]
        for plane in 0..<(output.count / max(1, positions)) {
            let (a, b) = (scale[plane % channels], shift[plane % channels])
            let (source, target) = (input.baseAddress! + plane * positions, output.baseAddress! + plane * positions)
            for index in 0..<positions { target[index] = a * source[index] + b }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let gradient = inputGradients[0] else { return }
        let positions = positions, channels = shape[1]
        for plane in 0..<(gradient.count / max(1, positions)) {
            let a = scale[plane % channels]
            let (source, target) = (outputGradient.baseAddress! + plane * positions, gradient.baseAddress! + plane * positions)
            for index in 0..<positions { target[index] += a * source[index] }
        }
    }
}
