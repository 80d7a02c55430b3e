import NDArray

/// ONNX `ReduceSum`, `ReduceMean`, `ReduceMax`, `ReduceMin`, `GlobalAveragePool` and `GlobalMaxPool`:
/// a reduction over a set of axes, keeping them as size-1 axes or dropping them.
public struct Reduction: DifferentiableOperation {
    /// What the reduction computes.
    public enum Kind: Sendable, Equatable {
        case sum, mean, max, min

        /// Whether the reduction picks one element of each group (max, min).
        var selects: Bool { self == .max || self == .min }
    }

    public let name: String
    /// The reduction.
    public let kind: Kind
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    /// For each input element, the output element it reduces into.
    private let targets: [Int32]
    /// Input elements per output element.
    private let groupSize: Int

    /// A reduction of a tensor of `shape` over `axes` (NumPy-style, negative allowed).
    public init(_ kind: Kind, shape: [Int], axes: [Int], keepDimensions: Bool, name: String) throws(InferenceError) {
        var reduced = Set<Int>()
        for axis in axes {
            guard let normalized = NDArrayGeometry.normalizedAxis(axis, rank: shape.count) else {
                throw .invalidParameter(operation: name, parameter: "axes", value: "\(axes)", expected: "axes in -\(shape.count)..<\(shape.count)")
            }
            reduced.insert(normalized)
        }
        guard !kind.selects || reduced.allSatisfy({ shape[$0] > 0 }) else {
            throw .invalidShapes(operation: name, shapes: [shape], expected: "non-empty reduced axes")
        }
        self.name = name
        self.kind = kind
        inputShapes = [shape]
        let kept = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
        outputShape = keepDimensions ? kept : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
        groupSize = reduced.map { shape[$0] }.reduce(1, *)
        let outputStrides = NDArrayGeometry.strides(of: kept).enumerated().map { reduced.contains($0.offset) ? 0 : $0.element }
        var targets = [Int32](repeating: 0, count: elementCount(shape))
        forEachIndex(of: shape) { flat, index in
            targets[flat] = Int32(zip(index, outputStrides).reduce(0) { $0 + $1.0 * $1.1 })
        }
        self.targets = targets
    }

    public var backwardReads: BackwardReads { kind.selects ? [.inputs, .output] : [] }

    public func scratchCount(for parallelism: Parallelism) -> Int {
        kind.selects ? elementCount(outputShape) : 0
    }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let x = inputs[0]
        switch kind {
        case .sum, .mean:
            output.update(repeating: 0)
            for index in 0..<x.count { output[Int(targets[index])] += x[index] }
            if kind == .mean {
                let scale = 1 / Float(groupSize)
                for index in 0..<output.count { output[index] *= scale }
            }
        case .max:
            output.update(repeating: -.infinity)
            for index in 0..<x.count {
                let target = Int(targets[index])
                output[target] = max(output[target], x[index])
            }
        case .min:
            output.update(repeating: .infinity)
            for index in 0..<x.count {
                let target = Int(targets[index])
                output[target] = min(output[target], x[index])
            }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let dx = inputGradients[0] else { return }
        switch kind {
        case .sum, .mean:
            let scale: Float = kind == .mean ? 1 / Float(groupSize) : 1
            for index in 0..<dx.count { dx[index] += scale * outputGradient[Int(targets[index])] }
        case .max, .min:
            // The gradient goes to the first maximum (minimum) of each group.
            let taken = context.scratch
            taken.update(repeating: 0)
            let x = inputs[0]
            for index in 0..<dx.count {
                let target = Int(targets[index])
                if taken[target] == 0 && x[index] == output[target] {
                    taken[target] = 1
                    dx[index] += outputGradient[target]
                }
            }
        }
    }
}

/// Calls `body(flat, index)` for every multi-index of `shape` in row-major order.
func forEachIndex(of shape: [Int], _ body: (Int, [Int]) -> Void) {
    let count = elementCount(shape)
    guard count > 0 else { return }
    var index = Array(repeating: 0, count: shape.count)
    for flat in 0..<count {
        body(flat, index)
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < shape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
    }
}
