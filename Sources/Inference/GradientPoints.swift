import NDArray

/// The inputs at which `meanInputGradient` averages a gradient: SmoothGrad's noisy copies of a
/// signal, or the points of an integration path.
public enum GradientPoints {
    /// `count` inputs, the `i`-th made by `make(i)` (called once, in order).
    case listed(count: Int, make: (Int) -> [Float])
    /// The points `start + t * (end - start)` for each `t` of `positions`.
    case segment(start: [Float], end: [Float], positions: [Float])

    /// How many points there are.
    public var count: Int {
        switch self {
        case let .listed(count, _): count
        case let .segment(_, _, positions): positions.count
        }
    }

    /// The `index`-th point.
    public func point(_ index: Int) -> [Float] {
        switch self {
        case let .listed(_, make):
            return make(index)
        case let .segment(start, end, positions):
            let t = positions[index]
            return zip(start, end).map { $0 + t * ($1 - $0) }
        }
    }
}

extension DifferentiableClassifier {
    /// The mean over `points` of the gradient of logit `target` with respect to the input,
    /// evaluated `maxBatch` points at a time and summed in point order (so the result does not
    /// depend on `maxBatch`).
    public func meanInputGradient(at points: GradientPoints, target: Int, maxBatch: Int) throws -> [Float] {
        try batchedMeanInputGradient(at: points, target: target, maxBatch: maxBatch)
    }

    /// `meanInputGradient` by one `inputGradient` call per batch of points.
    func batchedMeanInputGradient(at points: GradientPoints, target: Int, maxBatch: Int) throws -> [Float] {
        let size = elementCount(inputShape), count = points.count
        var sum = [Double](repeating: 0, count: size)
        var start = 0
        while start < count {
            let chunk = min(max(1, maxBatch), count - start)
            let batch = try points.batch(start..<(start + chunk), exampleShape: inputShape)
            let gradient = try inputGradient(batch, classes: Array(repeating: target, count: chunk)).gradient.storage
            for (index, value) in gradient.enumerated() { sum[index % size] += Double(value) }
            start += chunk
        }
        return sum.map { Float($0 / Double(max(1, count))) }
    }
}

extension GradientPoints {
    /// The points of `indices` as one batch `[indices.count] + exampleShape`.
    func batch(_ indices: Range<Int>, exampleShape: [Int]) throws(InferenceError) -> NDArray<Float> {
        let size = elementCount(exampleShape)
        var storage: [Float] = []
        storage.reserveCapacity(indices.count * size)
        for index in indices {
            let point = point(index)
            guard point.count == size else { throw .inputShapeMismatch(expected: exampleShape, actual: [point.count]) }
            storage += point
        }
        return NDArray(shape: [indices.count] + exampleShape, storage: storage)
    }
}
