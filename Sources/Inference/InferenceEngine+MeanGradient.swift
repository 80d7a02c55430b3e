import NDArray

extension InferenceEngine {
    /// The mean input gradient over `points`. When the program starts with an affine operation
    /// (a convolution) alone reading the input, only the rest of the program runs per point: the
    /// head's output is computed per point (or, on a segment, interpolated between the heads of
    /// its ends), the tail's input gradients are averaged, and the head's backward pass runs once
    /// on the average. Mathematically the same mean; it skips the head's backward pass for all
    /// points but one, and on a segment its forward pass too.
    public func meanInputGradient(at points: GradientPoints, target: Int, maxBatch: Int) throws -> [Float] {
        guard let (head, tail) = affineHead else {
            return try batchedMeanInputGradient(at: points, target: target, maxBatch: maxBatch)
        }
        let headSize = elementCount(tail.inputShape), count = points.count
        var ends: (start: [Float], change: [Float])?
        if case let .segment(start, end, _) = points {
            let (headStart, headEnd) = (
                try Self.apply(head, to: start, inputShape: inputShape),
                try Self.apply(head, to: end, inputShape: inputShape)
            )
            ends = (headStart, zip(headEnd, headStart).map { $0 - $1 })
        }
        var sum = [Float](repeating: 0, count: headSize)
        var heads: [Float] = []
        var first = 0
        while first < count {
            let indices = first..<min(count, first + max(1, maxBatch))
            // Reuses the previous chunk's storage (the batch that shared it is gone by now).
            if heads.count != indices.count * headSize { heads = [Float](repeating: 0, count: indices.count * headSize) }
            if let ends, case let .segment(_, _, positions) = points {
                heads.withUnsafeMutableBufferPointer { heads in
                    ends.start.withUnsafeBufferPointer { start in
                        ends.change.withUnsafeBufferPointer { change in
                            for (row, index) in indices.enumerated() {
                                let t = positions[index], target = heads.baseAddress! + row * headSize
                                for i in 0..<headSize { target[i] = start[i] + t * change[i] }
                            }
                        }
                    }
                }
            } else {
                var scratch = [Float](repeating: 0, count: head.scratchCount(for: .serial))
                for (row, index) in indices.enumerated() {
                    let point = points.point(index)
                    try heads.withUnsafeMutableBufferPointer { heads throws(InferenceError) in
                        try Self.apply(
                            head, to: point, inputShape: inputShape,
                            into: UnsafeMutableBufferPointer(rebasing: heads[(row * headSize)..<((row + 1) * headSize)]),
                            scratch: &scratch)
                    }
                }
            }
            try tail.accumulateInputGradients(
                NDArray(shape: [indices.count] + tail.inputShape, storage: heads),
                target: target, into: &sum)
            first = indices.upperBound
        }
        let scale = 1 / Float(max(1, count))
        for i in sum.indices { sum[i] *= scale }
        return pullBack(sum, through: head)
    }

    /// `head` applied to one example `input`.
    private static func apply(_ head: any AffineOperation, to input: [Float], inputShape: [Int]) throws(InferenceError) -> [Float] {
        var output = [Float](repeating: 0, count: elementCount(head.outputShape))
        var scratch = [Float](repeating: 0, count: head.scratchCount(for: .serial))
        try output.withUnsafeMutableBufferPointer { output throws(InferenceError) in
            try apply(head, to: input, inputShape: inputShape, into: output, scratch: &scratch)
        }
        return output
    }

    /// `head` applied to one example `input`, written into `output`; `scratch` holds the
    /// head's scratch memory for one thread.
    private static func apply(
        _ head: any AffineOperation, to input: [Float], inputShape: [Int],
        into output: UnsafeMutableBufferPointer<Float>, scratch: inout [Float]
    ) throws(InferenceError) {
        guard input.count == elementCount(inputShape) else {
            throw .inputShapeMismatch(expected: inputShape, actual: [input.count])
        }
        input.withUnsafeBufferPointer { input in
            scratch.withUnsafeMutableBufferPointer { scratch in
                head.forward([input], into: output, context: OperationContext(scratch: scratch, parallelism: .serial))
            }
        }
    }

    /// The head's backward pass: the input gradient whose head-output gradient is `gradient`.
    private func pullBack(_ gradient: [Float], through head: any AffineOperation) -> [Float] {
        let parallelism = Parallelism(threads: options.threads)
        var result = [Float](repeating: 0, count: elementCount(inputShape))
        var scratch = [Float](repeating: 0, count: head.scratchCount(for: parallelism))
        let empty = UnsafeBufferPointer<Float>(start: nil, count: 0)
        gradient.withUnsafeBufferPointer { gradient in
            result.withUnsafeMutableBufferPointer { result in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    head.backward(
                        gradient, inputs: [empty], output: empty, into: [result],
                        context: OperationContext(scratch: scratch, parallelism: parallelism))
                }
            }
        }
        return result
    }
}
