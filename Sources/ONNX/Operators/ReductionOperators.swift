import Inference

/// `ReduceSum`, `ReduceMean`, `ReduceMax`, `ReduceMin`, and the norms `ReduceL1`, `ReduceL2` and
/// `ReduceSumSquare` (an elementwise function, a sum, and for L2 a square root).
enum ReductionOperators {
    static let handlers: [String: OperatorHandler] = [
        "ReduceSum": { c in try reduction(&c, .sum, axesBecameInput: 13) },
        "ReduceMean": { c in try reduction(&c, .mean, axesBecameInput: 18) },
        "ReduceMax": { c in try reduction(&c, .max, axesBecameInput: 18) },
        "ReduceMin": { c in try reduction(&c, .min, axesBecameInput: 18) },
        "ReduceL1": { c in try reduction(&c, .sum, axesBecameInput: 18, before: .absolute) },
        "ReduceSumSquare": { c in try reduction(&c, .sum, axesBecameInput: 18, before: .power(2)) },
        "ReduceL2": { c in try reduction(&c, .sum, axesBecameInput: 18, before: .power(2), after: .normRoot) },
    ]

    /// Axes come from the `axes` attribute before opset `axesBecameInput` and from input 1 since;
    /// `before` is applied to every element first and `after` to the result.
    private static func reduction(
        _ c: inout Compilation, _ kind: Reduction.Kind, axesBecameInput: Int, before: Elementwise.Function? = nil,
        after: Elementwise.Function? = nil
    ) throws -> [CompiledValue] {
        var input = try c.tensor(0)
        let name = c.node.opType
        if let before { input = try c.run(Elementwise(before, shape: input.shape, name: name), on: [input]) }
        let axes = c.opset < axesBecameInput ? try c.ints("axes") : try c.integers(1, role: "axes")
        let keep = try c.int("keepdims", default: 1) != 0
        if axes?.isEmpty ?? true, try c.int("noop_with_empty_axes", default: 0) != 0 {
            if let after { input = try c.run(Elementwise(after, shape: input.shape, name: name), on: [input]) }
            return [.runtime(input)]
        }
        let reduced = axes.flatMap { $0.isEmpty ? nil : $0 } ?? Array(input.shape.indices)
        var output = try c.run(try Reduction(kind, shape: input.shape, axes: reduced, keepDimensions: keep, name: name), on: [input])
        if let after { output = try c.run(Elementwise(after, shape: output.shape, name: name), on: [output]) }
        return [.runtime(output)]
    }
}
