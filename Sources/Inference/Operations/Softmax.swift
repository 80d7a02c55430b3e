import NDArray

/// ONNX `Softmax` and `LogSoftmax` along one axis (opset 13 semantics; older models are
/// reshaped by the importer so that the coerced 2-D axis becomes this one).
public struct Softmax: DifferentiableOperation {
    public let name: String
    /// Shape of the input and the output.
    public let shape: [Int]
    /// Whether this is `LogSoftmax`.
    public let logarithmic: Bool
    private let outer: Int, extent: Int, inner: Int

    /// A softmax (or log-softmax) of a tensor of `shape` along `axis` (negative counts from the end).
    public init(shape: [Int], axis: Int, logarithmic: Bool) throws(InferenceError) {
        let name = logarithmic ? "LogSoftmax" : "Softmax"
        guard let axis = NDArrayGeometry.normalizedAxis(axis, rank: shape.count) else {
            throw .invalidParameter(operation: name, parameter: "axis", value: "\(axis)", expected: "an axis of a rank-\(shape.count) tensor")
        }
        self.name = name
        self.shape = shape
        self.logarithmic = logarithmic
        (outer, extent, inner) = NDArrayGeometry.split(shape, around: axis)
    }

    public var inputShapes: [[Int]] { [shape] }
    public var outputShape: [Int] { shape }
    public var backwardReads: BackwardReads { .output }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let x = inputs[0]
        forEachLine { base in
            var peak = -Float.infinity
            for j in 0..<extent { peak = max(peak, x[base + j * inner]) }
            var sum: Float = 0
            for j in 0..<extent {
                let e = ScalarMath.exp(x[base + j * inner] - peak)
                sum += e
                if !logarithmic { output[base + j * inner] = e }
            }
            if logarithmic {
                let logSum = ScalarMath.log(sum)
                for j in 0..<extent { output[base + j * inner] = x[base + j * inner] - peak - logSum }
            } else {
                for j in 0..<extent { output[base + j * inner] /= sum }
            }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let dx = inputGradients[0] else { return }
        let (g, y) = (outputGradient, output)
        forEachLine { base in
            if logarithmic {  // dx = g - softmax * sum(g)
                var total: Float = 0
                for j in 0..<extent { total += g[base + j * inner] }
                for j in 0..<extent {
                    let index = base + j * inner
                    dx[index] += g[index] - ScalarMath.exp(y[index]) * total
                }
            } else {  // dx = y * (g - sum(g * y))
                var dot: Float = 0
                for j in 0..<extent { dot += g[base + j * inner] * y[base + j * inner] }
                for j in 0..<extent {
                    let index = base + j * inner
                    dx[index] += y[index] * (g[index] - dot)
                }
            }
        }
    }

    /// Calls `body(offset)` with the first element of every line along the axis.
    @inline(__always)
    private func forEachLine(_ body: (Int) -> Void) {
        for o in 0..<outer {
            for i in 0..<inner { body(o * extent * inner + i) }
        }
    }
}
