import NDArray

/// The source indices of the element-moving operators, for `IndexMap` and for folding constant
/// tensors of any element type at load time.
public enum IndexMaps {
    /// How `pad` fills positions outside the input.
    public enum PadMode: String, Sendable, CaseIterable {
        /// A constant value (the map marks these positions -1).
        case constant
        /// Mirror without repeating the edge: `[a b c]` → `c b | a b c | b a`.
        case reflect
        /// Repeat the edge element.
        case edge
    }

    /// A shape and, for each of its elements, the source element (or -1).
    public typealias Map = (shape: [Int], sources: [Int32])

    /// Copies `sources` of `values` (or `fill` where a source is -1).
    public static func apply<Element>(_ sources: [Int32], to values: [Element], fill: Element) -> [Element] {
        sources.map { $0 >= 0 ? values[Int($0)] : fill }
    }

    /// Axes permuted: output axis `i` is input axis `permutation[i]`.
    public static func transpose(_ shape: [Int], permutation: [Int]) throws(InferenceError) -> Map {
        guard permutation.sorted() == Array(shape.indices) else {
            throw .invalidParameter(
                operation: "Transpose", parameter: "perm", value: "\(permutation)",
                expected: "a permutation of 0..<\(shape.count)")
        }
        let inputStrides = NDArrayGeometry.strides(of: shape)
        let output = permutation.map { shape[$0] }
        let permutedStrides = permutation.map { inputStrides[$0] }
        return (output, try separableSources(for: output) { axis, position in position * permutedStrides[axis] })
    }

    /// Per axis, `counts[a]` elements from `starts[a]` in steps of `steps[a]` (negative steps
    /// walk backwards); starts and steps must keep every index inside the input.
    public static func strided(_ shape: [Int], starts: [Int], steps: [Int], counts: [Int]) throws(InferenceError) -> Map {
        let valid =
            [starts.count, steps.count, counts.count].allSatisfy { $0 == shape.count }
            && shape.indices.allSatisfy { axis in
                counts[axis] == 0
                    || (starts[axis] >= 0 && starts[axis] < shape[axis]
                        && (0..<shape[axis]).contains(starts[axis] + (counts[axis] - 1) * steps[axis]))
            }
        guard valid else {
            throw .invalidParameter(
                operation: "Slice", parameter: "starts/steps/counts", value: "\(starts)/\(steps)/\(counts)",
                expected: "ranges inside the input shape \(shape)")
        }
        let inputStrides = NDArrayGeometry.strides(of: shape)
        return (counts, try separableSources(for: counts) { axis, position in (starts[axis] + position * steps[axis]) * inputStrides[axis] })
    }

    /// Padding (negative amounts crop) with `mode`.
    public static func pad(_ shape: [Int], begin: [Int], end: [Int], mode: PadMode) throws(InferenceError) -> Map {
        // Sums that overflow (pads come from model files) are as invalid as negative ones.
        let output: [Int] =
            begin.count == shape.count && end.count == shape.count
            ? shape.indices.map { axis -> Int in
                let (padded, overflow1) = shape[axis].addingReportingOverflow(begin[axis])
                let (result, overflow2) = padded.addingReportingOverflow(end[axis])
                return overflow1 || overflow2 ? -1 : result
            } : []
        guard begin.count == shape.count, end.count == shape.count, output.allSatisfy({ $0 >= 0 }) else {
            throw .invalidParameter(
                operation: "Pad", parameter: "pads", value: "\(begin + end)",
                expected: "\(2 * shape.count) values that leave every axis non-negative")
        }
        if mode != .constant {
            for axis in shape.indices where (begin[axis] > 0 || end[axis] > 0) {
                let limit = mode == .reflect ? shape[axis] - 1 : (shape[axis] > 0 ? Int.max : 0)
                guard max(begin[axis], end[axis]) <= limit else {
                    throw .invalidParameter(
                        operation: "Pad", parameter: "pads", value: "\(begin + end)",
                        expected: "\(mode.rawValue) padding of axis \(axis) of length \(shape[axis]) by at most \(limit)")
                }
            }
        }
        let inputStrides = NDArrayGeometry.strides(of: shape)
        return (
            output,
            try separableSources(for: output) { axis, outputPosition in
                var position = outputPosition - begin[axis]
                let length = shape[axis]
                if position < 0 || position >= length {
                    switch mode {
                    case .constant: return -1
                    case .edge: position = min(max(position, 0), length - 1)
                    case .reflect: position = position < 0 ? -position : 2 * (length - 1) - position
                    }
                }
                return position * inputStrides[axis]
            }
        )
    }

    /// NumPy broadcasting of a tensor of `shape` against `target` (ONNX `Expand`).
    public static func broadcast(_ shape: [Int], to target: [Int]) throws(InferenceError) -> Map {
        guard let output = Broadcasting.shape(shape, target) else {
            throw .invalidShapes(operation: "Expand", shapes: [shape, target], expected: "shapes that broadcast (NumPy rules)")
        }
        let padded = Array(repeating: 1, count: output.count - shape.count) + shape
        let paddedStrides = zip(NDArrayGeometry.strides(of: padded), padded).map { $1 == 1 ? 0 : $0 }
        return (output, try separableSources(for: output) { axis, position in position * paddedStrides[axis] })
    }

    /// Elements along `axis` picked by `indices` (already in range), as ONNX `Gather`.
    public static func gather(_ shape: [Int], axis: Int, indices: [Int], indicesShape: [Int]) throws(InferenceError) -> Map {
        guard (0..<shape.count).contains(axis), indices.allSatisfy({ (0..<shape[axis]).contains($0) }) else {
            throw .invalidParameter(
                operation: "Gather", parameter: "indices", value: "\(indices.prefix(8))",
                expected: "indices in 0..<\(shape.indices.contains(axis) ? shape[axis] : 0) along axis \(axis)")
        }
        let output = Array(shape[..<axis]) + indicesShape + Array(shape[(axis + 1)...])
        let inputStrides = NDArrayGeometry.strides(of: shape)
        let indexStrides = NDArrayGeometry.strides(of: indicesShape)
        return (
            output,
            try sources(for: output) { index in
                let outer = dot(Array(index[..<axis]), Array(inputStrides[..<axis]))
                let picked = indices[dot(Array(index[axis..<(axis + indicesShape.count)]), indexStrides)]
                let inner = dot(Array(index[(axis + indicesShape.count)...]), Array(inputStrides[(axis + 1)...]))
                return outer + picked * inputStrides[axis] + inner
            }
        )
    }

    /// The tensor repeated `repeats[a]` times along each axis (ONNX `Tile`).
    public static func tile(_ shape: [Int], repeats: [Int]) throws(InferenceError) -> Map {
        guard repeats.count == shape.count, repeats.allSatisfy({ $0 >= 0 }) else {
            throw .invalidParameter(
                operation: "Tile", parameter: "repeats", value: "\(repeats)",
                expected: "\(shape.count) non-negative counts")
        }
        let output = zip(shape, repeats).map { $0.multipliedReportingOverflow(by: $1) }
        guard output.allSatisfy({ !$0.overflow }) else {
            throw .invalidParameter(
                operation: "Tile", parameter: "repeats", value: "\(repeats)",
                expected: "counts whose products with \(shape) fit in Int")
        }
        let inputStrides = NDArrayGeometry.strides(of: shape)
        return (
            output.map(\.partialValue),
            try separableSources(for: output.map(\.partialValue)) { axis, position in
                (position % shape[axis]) * inputStrides[axis]
            }
        )
    }

    /// The map's source for each element of `shape`. Throws when `shape` has more elements than
    /// `TensorLimits` allows (extents come from model files).
    private static func sources(for shape: [Int], _ source: ([Int]) -> Int) throws(InferenceError) -> [Int32] {
        let count = try TensorLimits.checkedElementCount(shape, operation: "index map")
        var result = [Int32](repeating: 0, count: count)
        forEachIndex(of: shape) { flat, index in result[flat] = Int32(source(index)) }
        return result
    }

    /// `sources(for:)` of a map whose source is a sum of one term per axis, `term(axis, position)`
    /// (-1: the element is a fill). Calls `term` once per position of each axis, not once per
    /// element, and builds the sources axis by axis in place: linear in the element count.
    private static func separableSources(for shape: [Int], _ term: (_ axis: Int, _ position: Int) -> Int) throws(InferenceError) -> [Int32] {
        let count = try TensorLimits.checkedElementCount(shape, operation: "index map")
        var result = [Int32](repeating: 0, count: count)
        guard count > 0 else { return result }
        result.withUnsafeMutableBufferPointer { result in
            // result[0..<built] holds the sources over the axes seen so far, in row-major order.
            var built = 1
            for (axis, length) in shape.enumerated() {
                let terms = (0..<length).map { term(axis, $0) }
                // Backwards, so that each prefix value is read before its slot is overwritten.
                // (While loops: an unoptimised build, as the fuzzer's, runs them many times faster.)
                var prefix = built - 1
                while prefix >= 0 {
                    let base = Int(result[prefix])
                    var position = length - 1
                    while position >= 0 {
                        let term = terms[position]
                        result[prefix * length + position] = base < 0 || term < 0 ? -1 : Int32(truncatingIfNeeded: base + term)
                        position -= 1
                    }
                    prefix -= 1
                }
                built *= length
            }
        }
        return result
    }

    private static func dot(_ a: [Int], _ b: [Int]) -> Int {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
