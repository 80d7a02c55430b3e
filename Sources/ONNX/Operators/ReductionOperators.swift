import Inference

/// `ReduceSum`, `ReduceMean` and `ReduceMax`.
enum ReductionOperators {
    static let handlers: [String: OperatorHandler] = [
        "ReduceSum": { c in try reduction(&c, .sum, axesBecameInput: 13) },
        "ReduceMean": { c in try reduction(&c, .mean, axesBecameInput: 18) },
        "ReduceMax": { c in try reduction(&c, .max, axesBecameInput: 18) },
    ]

    /// Axes come from the `axes` attribute before opset `axesBecameInput` and from input 1 since.
    private static func reduction(_ c: inout Compilation, _ kind: Reduction.Kind, axesBecameInput: Int) throws -> [CompiledValue] {
        let input = try c.tensor(0)
        let axes = c.opset < axesBecameInput ? try c.ints("axes") : try c.integers(1, role: "axes")
        let keep = try c.int("keepdims", default: 1) != 0
        if axes?.isEmpty ?? true, try c.int("noop_with_empty_axes", default: 0) != 0 {
            return [.runtime(input)]
        }
        let reduced = axes.flatMap { $0.isEmpty ? nil : $0 } ?? Array(input.shape.indices)
        let name = c.node.opType
        return [
            try c.apply(
                try Reduction(kind, shape: input.shape, axes: reduced, keepDimensions: keep, name: name),
                to: [input])
        ]
    }
}
