/// An operation that only moves elements: every output element copies one input element (or is
/// a constant fill). ONNX `Transpose`, `Slice`, `Pad`, `Expand`, `Gather` with constant indices,
/// and `Tile` all become one of these; the backward pass scatters the gradient back.
public struct IndexMap: DifferentiableOperation {
    public let name: String
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    /// For each output element, the input element it copies, or -1 for `fill`.
    public let sources: [Int32]
    /// The value of output elements without a source.
    public let fill: Float

    /// An operation copying `sources` (see `IndexMaps`) of an input of `inputShape` into `outputShape`.
    public init(name: String, inputShape: [Int], outputShape: [Int], sources: [Int32], fill: Float = 0) throws(InferenceError) {
        let inputCount = Int32(clamping: elementCount(inputShape))
        guard sources.count == elementCount(outputShape), sources.min() ?? -1 >= -1, sources.max() ?? -1 < inputCount else {
            throw .invalidShapes(
                operation: name, shapes: [inputShape, outputShape],
                expected: "one source index per output element, each inside the input")
        }
        self.name = name
        inputShapes = [inputShape]
        self.outputShape = outputShape
        self.sources = sources
        self.fill = fill
    }

    public var backwardReads: BackwardReads { [] }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let x = inputs[0]
        sources.withUnsafeBufferPointer { sources in
            for index in 0..<output.count {
                let source = Int(sources[index])
                output[index] = source >= 0 ? x[source] : fill
            }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let dx = inputGradients[0] else { return }
        sources.withUnsafeBufferPointer { sources in
            for index in 0..<outputGradient.count where sources[index] >= 0 {
                dx[Int(sources[index])] += outputGradient[index]
            }
        }
    }
}
