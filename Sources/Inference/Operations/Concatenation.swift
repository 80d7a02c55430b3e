import NDArray

/// ONNX `Concat`: tensors joined along one axis.
public struct Concatenation: DifferentiableOperation {
    public let name = "Concat"
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    private let outer: Int
    /// Elements each input contributes per outer index.
    private let blocks: [Int]

    /// The concatenation of tensors of `shapes` along `axis` (negative counts from the end).
    public init(shapes: [[Int]], axis: Int) throws(InferenceError) {
        guard let first = shapes.first, let axis = NDArrayGeometry.normalizedAxis(axis, rank: first.count),
            shapes.allSatisfy({ shape in shape.count == first.count && shape.indices.allSatisfy { $0 == axis || shape[$0] == first[$0] } })
        else {
            throw .invalidShapes(operation: "Concat", shapes: shapes, expected: "tensors that agree on every axis but the concatenation axis \(axis)")
        }
        inputShapes = shapes
        var output = first
        output[axis] = shapes.map { $0[axis] }.reduce(0, +)
        outputShape = output
        outer = first[..<axis].reduce(1, *)
        let inner = first[(axis + 1)...].reduce(1, *)
        blocks = shapes.map { $0[axis] * inner }
    }

    /// Joins element arrays of `inputShapes` (any element type) the way `forward` does.
    public func concatenate<Element>(_ inputs: [[Element]]) -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(elementCount(outputShape))
        for o in 0..<outer {
            for (input, block) in zip(inputs, blocks) { result += input[(o * block)..<((o + 1) * block)] }
        }
        return result
    }

    public var backwardReads: BackwardReads { [] }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        var offset = 0
        for o in 0..<outer {
            for (input, block) in zip(inputs, blocks) {
                _ = UnsafeMutableBufferPointer(rebasing: output[offset..<(offset + block)])
                    .update(fromContentsOf: input[(o * block)..<((o + 1) * block)])
                offset += block
            }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        var offset = 0
        for o in 0..<outer {
            for (gradient, block) in zip(inputGradients, blocks) {
                if let gradient {
                    for j in 0..<block { gradient[o * block + j] += outputGradient[offset + j] }
                }
                offset += block
            }
        }
    }
}
