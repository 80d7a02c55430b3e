import Inference
import NDArray

/// Operators that only reshape or move elements. They work on program tensors and on load-time
/// constants alike, so shape computations built from them fold.
enum LayoutOperators {
    static let handlers: [String: OperatorHandler] = [
        "Identity": { c in [try c.value(0)] },
        "Dropout": dropout,
        "Reshape": reshape,
        "Flatten": flatten,
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Transpose": transpose,
        "Concat": concat,
        "Slice": slice,
        "Split": split,
        "Pad": pad,
        "Expand": { c in
            guard let shape = try c.integers(1, role: "shape") else { throw c.failure("input 1 (shape) is required") }
            return [try move(&c, try IndexMaps.broadcast(try c.shape(0), to: shape))]
        },
        "Tile": { c in
            guard let repeats = try c.integers(1, role: "repeats") else { throw c.failure("input 1 (repeats) is required") }
            return [try move(&c, try IndexMaps.tile(try c.shape(0), repeats: repeats))]
        },
        "Gather": gather,
    ]

    // MARK: - Shared

    /// Input 0 viewed with `shape` (free: no data moves).
    static func reshaped(_ c: Compilation, to shape: [Int]) throws -> CompiledValue {
        switch try c.value(0) {
        case let .constant(tensor):
            guard tensor.count == shape.reduce(1, *) else { throw c.failure("cannot view \(tensor.shape) as \(shape)") }
            return .constant(tensor.reshaped(shape))
        case let .runtime(handle):
            guard let view = handle.reshaped(shape) else { throw c.failure("cannot view \(handle.shape) as \(shape)") }
            return .runtime(view)
        case let .inputDependent(_, dataType):
            return .inputDependent(shape: shape, dataType: dataType)
        }
    }

    /// The product of `extents`, `nil` when it overflows or exceeds what `TensorLimits` allows.
    static func product(_ extents: [Int]) -> Int? {
        TensorLimits.elementCount(extents)
    }

    /// Input 0's elements moved by `map`.
    static func move(_ c: inout Compilation, _ map: IndexMaps.Map, fill: Float = 0) throws -> CompiledValue {
        switch try c.value(0) {
        case let .constant(tensor):
            return .constant(tensor.moved(map, fill: Double(fill)))
        case let .runtime(handle):
            let name = c.node.opType
            return try c.apply(
                try IndexMap(
                    name: name, inputShape: handle.shape, outputShape: map.shape,
                    sources: map.sources, fill: fill), to: [handle])
        case let .inputDependent(_, dataType):
            return .inputDependent(shape: map.shape, dataType: dataType)
        }
    }

    /// Axes from the `axes` attribute before opset 13, from input 1 since.
    private static func axes(_ c: Compilation) throws -> [Int]? {
        c.opset < 13 ? try c.ints("axes") : try c.integers(1, role: "axes")
    }

    // MARK: - Operators

    private static func dropout(_ c: inout Compilation) throws -> [CompiledValue] {
        if let training = try c.constant(2, role: "training mode"), training.doubles.first ?? 0 != 0 {
            throw c.failure("training_mode = true is not supported; export the model in eval mode")
        }
        return [try c.value(0)]  // The optional mask output is not computed.
    }

    private static func reshape(_ c: inout Compilation) throws -> [CompiledValue] {
        let input = try c.shape(0)
        guard let requested = try c.integers(1, role: "shape") else { throw c.failure("input 1 (shape) is required") }
        let allowZero = try c.int("allowzero", default: 0) != 0
        var shape = requested.enumerated().map { axis, size in size == 0 && !allowZero && axis < input.count ? input[axis] : size }
        let inferred = shape.indices.filter { shape[$0] == -1 }
        // Products that overflow Int (sizes from the file) cannot match the input's element count.
        guard inferred.count <= 1, shape.allSatisfy({ $0 >= -1 }), let known = product(shape.filter { $0 != -1 }),
            let count = product(input), known > 0 || inferred.isEmpty,
            inferred.isEmpty ? known == count : count % known == 0
        else {
            throw c.failure("cannot reshape \(input) into \(requested)")
        }
        if let axis = inferred.first { shape[axis] = count / known }
        return [try reshaped(c, to: shape)]
    }

    private static func flatten(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        let axis = try c.int("axis", default: 1)
        guard (-shape.count...shape.count).contains(axis) else { throw c.failure("axis \(axis) is outside -\(shape.count)...\(shape.count)") }
        let split = axis < 0 ? axis + shape.count : axis
        return [try reshaped(c, to: [shape[..<split].reduce(1, *), shape[split...].reduce(1, *)])]
    }

    private static func squeeze(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        let axes =
            try axes(c).map { axes throws in
                try axes.map { axis throws in
                    guard let normalized = NDArrayGeometry.normalizedAxis(axis, rank: shape.count), shape[normalized] == 1 else {
                        throw c.failure("cannot squeeze axis \(axis) of shape \(shape); expected an axis of size 1")
                    }
                    return normalized
                }
            } ?? shape.indices.filter { shape[$0] == 1 }
        return [try reshaped(c, to: shape.indices.filter { !axes.contains($0) }.map { shape[$0] })]
    }

    private static func unsqueeze(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        guard let axes = try axes(c) else { throw c.failure("axes are required") }
        let rank = shape.count + axes.count
        let inserted = Set(axes.compactMap { NDArrayGeometry.normalizedAxis($0, rank: rank) })
        guard inserted.count == axes.count else { throw c.failure("axes \(axes) must be distinct axes of the rank-\(rank) output") }
        var remaining = shape.makeIterator()
        return [try reshaped(c, to: (0..<rank).map { inserted.contains($0) ? 1 : remaining.next()! })]
    }

    private static func transpose(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        let permutation = try c.ints("perm") ?? Array(shape.indices.reversed())
        return [try move(&c, try IndexMaps.transpose(shape, permutation: permutation))]
    }

    private static func concat(_ c: inout Compilation) throws -> [CompiledValue] {
        let axis = try c.int("axis")
        let indices = c.node.inputs.indices.filter { c.hasInput($0) }
        let shapes = try indices.map { try c.shape($0) }
        let concatenation = try Concatenation(shapes: shapes, axis: axis)
        if let dataType = try c.inputDependentType() {
            return [.inputDependent(shape: concatenation.outputShape, dataType: dataType)]
        }
        let values = try indices.map { try c.value($0) }
        let constants = values.compactMap { value -> ConstantTensor? in
            if case let .constant(tensor) = value { return tensor }
            return nil
        }
        if constants.count == values.count {
            return [.constant(ConstantTensor.concatenated(constants, by: concatenation))]
        }
        let handles = try indices.map { try c.tensor($0) }
        return [try c.apply(concatenation, to: handles)]
    }

    /// ONNX slicing: negative positions count from the end, out-of-range positions clamp.
    /// Parts of input 0 along `axis`: sizes from input 1 (opset 13 on) or the `split` attribute,
    /// else equal parts, one per output (`num_outputs` since opset 18, the last part smaller).
    private static func split(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        let axisValue = try c.int("axis", default: 0)
        guard let axis = NDArrayGeometry.normalizedAxis(axisValue, rank: shape.count) else { throw c.failure("axis \(axisValue) is out of range") }
        let length = shape[axis], outputs = c.node.outputs.count
        let given = c.opset >= 13 ? try c.integers(1, role: "split") : try c.ints("split")
        let sizes: [Int]
        if let given {
            sizes = given
        } else {
            let parts = c.opset >= 18 ? try c.int("num_outputs", default: outputs) : outputs
            guard parts == outputs, parts > 0 else { throw c.failure("num_outputs \(parts) must equal the node's \(outputs) outputs") }
            let size = length / parts + (length % parts == 0 ? 0 : 1)
            sizes = (0..<parts).map { min(size, max(0, length - $0 * size)) }
        }
        // Each size in 0...length before they are added, so the sum cannot overflow.
        guard sizes.count == outputs, sizes.allSatisfy({ (0...length).contains($0) }), sizes.reduce(0, +) == length else {
            throw c.failure("split sizes \(sizes) must be \(outputs) non-negative sizes adding up to \(length), the size of axis \(axisValue)")
        }
        var start = 0, results: [CompiledValue] = []
        for size in sizes {
            var starts = Array(repeating: 0, count: shape.count), counts = shape
            (starts[axis], counts[axis]) = (start, size)
            results.append(try move(&c, try IndexMaps.strided(shape, starts: starts, steps: Array(repeating: 1, count: shape.count), counts: counts)))
            start += size
        }
        return results
    }

    private static func slice(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        guard let starts = try c.integers(1, role: "starts"), let ends = try c.integers(2, role: "ends") else {
            throw c.failure("inputs 1 (starts) and 2 (ends) are required")
        }
        let axes = try c.integers(3, role: "axes") ?? Array(starts.indices)
        let steps = try c.integers(4, role: "steps") ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count, !steps.contains(0) else {
            throw c.failure("starts \(starts), ends \(ends), axes \(axes) and steps \(steps) must have equal lengths (steps non-zero)")
        }
        var (first, step, count) = (Array(repeating: 0, count: shape.count), Array(repeating: 1, count: shape.count), shape)
        for (index, axis) in axes.enumerated() {
            guard let a = NDArrayGeometry.normalizedAxis(axis, rank: shape.count) else { throw c.failure("axis \(axis) is out of range") }
            let length = shape[a]
            var (start, end) = (starts[index], ends[index])
            if start < 0 { start += length }
            if end < 0 { end += length }
            // The count is ceil(distance / |step|), computed without adding the step to the distance
            // (steps may be as large as Int64 allows; |Int.min| is no Int).
            if steps[index] > 0 {
                start = min(max(start, 0), length)
                end = min(max(end, 0), length)
                count[a] = end > start ? (end - start - 1) / steps[index] + 1 : 0
            } else {
                start = min(max(start, 0), length - 1)
                end = min(max(end, -1), length - 1)
                count[a] = start > end ? Int(UInt(start - end - 1) / steps[index].magnitude) + 1 : 0
            }
            (first[a], step[a]) = (start, steps[index])
        }
        return [try move(&c, try IndexMaps.strided(shape, starts: first, steps: step, counts: count))]
    }

    private static func pad(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        let modeName = try c.string("mode", default: "constant")
        guard let mode = IndexMaps.PadMode(rawValue: modeName) else {
            throw c.failure("mode '\(modeName)' is not supported; expected constant, reflect or edge")
        }
        guard let pads = try c.integers(1, role: "pads") else { throw c.failure("input 1 (pads) is required") }
        let fill = try c.scalar(2, role: "constant value") ?? 0
        let axes = try c.integers(3, role: "axes") ?? Array(shape.indices)
        guard pads.count == 2 * axes.count else { throw c.failure("pads \(pads) must have \(2 * axes.count) values") }
        var (begin, end) = (Array(repeating: 0, count: shape.count), Array(repeating: 0, count: shape.count))
        for (index, axis) in axes.enumerated() {
            guard let a = NDArrayGeometry.normalizedAxis(axis, rank: shape.count) else { throw c.failure("axis \(axis) is out of range") }
            (begin[a], end[a]) = (pads[index], pads[index + axes.count])
        }
        return [try move(&c, try IndexMaps.pad(shape, begin: begin, end: end, mode: mode), fill: fill)]
    }

    private static func gather(_ c: inout Compilation) throws -> [CompiledValue] {
        let shape = try c.shape(0)
        guard let indices = try c.constant(1, role: "indices"), let values = indices.integers else {
            throw c.failure("input 1 (indices) must be integers known at load time")
        }
        let axisAttribute = try c.int("axis", default: 0)
        guard let axis = NDArrayGeometry.normalizedAxis(axisAttribute, rank: shape.count) else {
            throw c.failure("axis \(axisAttribute) is out of range for shape \(shape)")
        }
        let resolved = values.map { $0 < 0 ? $0 + shape[axis] : $0 }
        return [try move(&c, try IndexMaps.gather(shape, axis: axis, indices: resolved, indicesShape: indices.shape))]
    }
}
