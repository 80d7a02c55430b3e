import Inference
import NDArray

/// `GRU` and `LSTM` (ONNX semantics, `layout` 0: X is [seq, batch, input]), unrolled over the
/// sequence at compile time into matrix products, broadcasting arithmetic and activations, so
/// that their gradient through time is the chain of those operations' own. The input projections
/// of every step are one matrix product; each step adds one product with the recurrence weights.
enum RecurrentOperators {
    static let handlers: [String: OperatorHandler] = [
        "GRU": { c in try recurrent(&c, .gru) },
        "LSTM": { c in try recurrent(&c, .lstm) },
    ]

    enum Cell {
        case gru, lstm

        /// Gates per step (ONNX order: GRU z, r, h; LSTM i, o, f, c).
        var gates: Int { self == .gru ? 3 : 4 }
        var name: String { self == .gru ? "GRU" : "LSTM" }
        var defaultActivations: [String] { self == .gru ? ["Sigmoid", "Tanh"] : ["Sigmoid", "Tanh", "Tanh"] }
    }

    /// One direction's weights, as program tensors.
    private struct Weights {
        /// [gates * H, input] and [gates * H, H].
        let input: TensorHandle, recurrence: TensorHandle
        /// [1, gates * H] each.
        let inputBias: TensorHandle, recurrenceBias: TensorHandle
    }

    private static func recurrent(_ c: inout Compilation, _ cell: Cell) throws -> [CompiledValue] {
        try checkAttributes(&c, cell)
        let x = try c.tensor(0)
        guard x.shape.count == 3 else { throw c.failure("X has shape \(x.shape); expected [sequence, batch, input] (layout 0)") }
        let (steps, batch, inputSize) = (x.shape[0], x.shape[1], x.shape[2])
        let hidden = try c.int("hidden_size")
        // Checked before any arithmetic: gates * hidden must stay a tensor size.
        guard hidden > 0, hidden <= TensorLimits.maxElements / cell.gates else {
            throw c.failure("hidden_size \(hidden) is not in 1...\(TensorLimits.maxElements / cell.gates)")
        }
        let direction = try c.string("direction", default: "forward")
        guard let directions = ["forward": [false], "reverse": [true], "bidirectional": [false, true]][direction] else {
            throw c.failure("direction '\(direction)' is not forward, reverse or bidirectional")
        }
        let w = try c.tensor(1), r = try c.tensor(2)
        let gates = cell.gates * hidden
        guard w.shape == [directions.count, gates, inputSize], r.shape == [directions.count, gates, hidden] else {
            throw c.failure("W \(w.shape) and R \(r.shape) do not match \(directions.count) direction(s), hidden_size \(hidden), input \(inputSize)")
        }
        try checkSequenceLengths(&c, steps: steps, batch: batch)
        let linearBeforeReset = try c.int("linear_before_reset", default: 0) != 0
        var outputs: [[TensorHandle]] = [], finals: [TensorHandle] = [], cells: [TensorHandle] = []
        for (index, reversed) in directions.enumerated() {
            let weights = try directionWeights(&c, index: index, gates: gates, inputSize: inputSize, hidden: hidden)
            var state = try initialState(&c, input: 5, index: index, batch: batch, hidden: hidden)
            var memory = cell == .lstm ? try initialState(&c, input: 6, index: index, batch: batch, hidden: hidden) : state
            // X [T, B, I] as [T * B, I] times W^T: every step's input projection in one product, plus its bias.
            let flat = x.reshaped([steps * batch, inputSize])!
            let projected = try add(
                &c,
                try c.run(
                    try MatrixProduct(gemm: flat.shape, weights.input.shape, transposeA: false, transposeB: true, alpha: 1),
                    on: [flat, weights.input]), weights.inputBias)
            var produced = [TensorHandle?](repeating: nil, count: steps)
            for step in reversed ? Array((0..<steps).reversed()) : Array(0..<steps) {
                let xw = try rows(&c, projected, from: step * batch, count: batch)
                let hr = try add(
                    &c,
                    try c.run(
                        try MatrixProduct(gemm: state.shape, weights.recurrence.shape, transposeA: false, transposeB: true, alpha: 1),
                        on: [state, weights.recurrence]), weights.recurrenceBias)
                switch cell {
                case .gru:
                    state = try gruStep(&c, xw: xw, hr: hr, state: state, hidden: hidden, linearBeforeReset: linearBeforeReset, weights: weights)
                case .lstm:
                    (state, memory) = try lstmStep(&c, xw: xw, hr: hr, memory: memory, hidden: hidden)
                }
                produced[step] = state
            }
            outputs.append(produced.map { $0! })
            finals.append(state)
            cells.append(memory)
        }
        // Y [T, directions, B, H]; Y_h (and LSTM's Y_c) [directions, B, H].
        let perStep = try (0..<steps).map { step in
            try concatenate(&c, outputs.map { $0[step].reshaped([1, 1, batch, hidden])! }, axis: 1)
        }
        let y = try concatenate(&c, perStep, axis: 0)
        let yh = try concatenate(&c, finals.map { $0.reshaped([1, batch, hidden])! }, axis: 0)
        var results: [CompiledValue] = [.runtime(y), .runtime(yh)]
        if cell == .lstm { results.append(.runtime(try concatenate(&c, cells.map { $0.reshaped([1, batch, hidden])! }, axis: 0))) }
        return results
    }

    /// Refuses what the unrolled cells do not implement: other activations, clipping, layout 1,
    /// LSTM's coupled input/forget gate and peepholes.
    private static func checkAttributes(_ c: inout Compilation, _ cell: Cell) throws {
        if case let .strings(activations)? = c.node.attributes["activations"] {
            let expected = cell.defaultActivations
            guard activations == expected || activations == expected + expected else {
                throw c.failure("activations \(activations) are not supported; only the default \(expected)")
            }
        }
        if c.node.attributes["clip"] != nil { throw c.failure("the 'clip' attribute is not supported") }
        if try c.int("layout", default: 0) != 0 { throw c.failure("layout = 1 is not supported; export with layout 0 (torch.onnx does)") }
        if cell == .lstm {
            if try c.int("input_forget", default: 0) != 0 { throw c.failure("input_forget = 1 is not supported") }
            if c.node.inputs.count > 7, !c.node.inputs[7].isEmpty { throw c.failure("peephole weights (input P) are not supported") }
        }
    }

    /// `sequence_lens` may only say that every sequence is full length.
    private static func checkSequenceLengths(_ c: inout Compilation, steps: Int, batch: Int) throws {
        guard c.node.inputs.count > 4, !c.node.inputs[4].isEmpty else { return }
        guard let lengths = try c.integers(4, role: "sequence_lens"), lengths.allSatisfy({ $0 == steps }) else {
            throw c.failure("sequence_lens must be constant and equal to the sequence length \(steps) (padded batches are not supported)")
        }
    }

    private static func directionWeights(_ c: inout Compilation, index: Int, gates: Int, inputSize: Int, hidden: Int) throws -> Weights {
        guard let w = try c.constant(1, role: "W")?.floatArray, let r = try c.constant(2, role: "R")?.floatArray else {
            throw c.failure("W and R must be constant (initializers)")
        }
        let wSize = gates * inputSize, rSize = gates * hidden
        var bias = [Float](repeating: 0, count: 2 * gates)
        if c.node.inputs.count > 3, !c.node.inputs[3].isEmpty {
            guard let b = try c.constant(3, role: "B")?.floatArray, b.shape == [w.shape[0], 2 * gates] else {
                throw c.failure("B must be a constant of shape [directions, \(2 * gates)]")
            }
            bias = Array(b.storage[(index * 2 * gates)..<((index + 1) * 2 * gates)])
        }
        return Weights(
            input: c.builder.constant(NDArray(shape: [gates, inputSize], storage: Array(w.storage[(index * wSize)..<((index + 1) * wSize)]))),
            recurrence: c.builder.constant(NDArray(shape: [gates, hidden], storage: Array(r.storage[(index * rSize)..<((index + 1) * rSize)]))),
            inputBias: c.builder.constant(NDArray(shape: [1, gates], storage: Array(bias[..<gates]))),
            recurrenceBias: c.builder.constant(NDArray(shape: [1, gates], storage: Array(bias[gates...]))))
    }

    /// Direction `index` of the optional initial state input `input` ([directions, B, H]), or zeros.
    private static func initialState(_ c: inout Compilation, input: Int, index: Int, batch: Int, hidden: Int) throws -> TensorHandle {
        guard c.node.inputs.count > input, !c.node.inputs[input].isEmpty else {
            return c.builder.constant(NDArray(shape: [batch, hidden], storage: [Float](repeating: 0, count: batch * hidden)))
        }
        let state = try c.tensor(input)
        guard state.shape.count == 3, state.shape[1] == batch, state.shape[2] == hidden, index < state.shape[0] else {
            throw c.failure("initial state \(state.shape) is not [directions, \(batch), \(hidden)]")
        }
        return try rows(&c, state.reshaped([state.shape[0] * batch, hidden])!, from: index * batch, count: batch)
    }

    /// `z, r` from the sums, then the candidate with the reset gate applied before (PyTorch,
    /// `linear_before_reset`) or after the recurrence product, then `(1 - z) h~ + z h`.
    private static func gruStep(
        _ c: inout Compilation, xw: TensorHandle, hr: TensorHandle, state: TensorHandle, hidden: Int, linearBeforeReset: Bool,
        weights: Weights
    ) throws -> TensorHandle {
        let z = try activation(&c, .sigmoid, try add(&c, try columns(&c, xw, gate: 0, hidden), try columns(&c, hr, gate: 0, hidden)))
        let r = try activation(&c, .sigmoid, try add(&c, try columns(&c, xw, gate: 1, hidden), try columns(&c, hr, gate: 1, hidden)))
        let recurrent: TensorHandle
        if linearBeforeReset {
            recurrent = try combine(&c, .multiply, r, try columns(&c, hr, gate: 2, hidden))
        } else {
            // (r * h) R_h^T + Rb_h: the product of the reset state with the candidate's recurrence rows.
            let reset = try combine(&c, .multiply, r, state)
            let candidateWeights = try self.rows(&c, weights.recurrence, from: 2 * hidden, count: hidden)
            let candidateBias = try columns(&c, weights.recurrenceBias, gate: 2, hidden)
            recurrent = try add(
                &c,
                try c.run(
                    try MatrixProduct(gemm: reset.shape, candidateWeights.shape, transposeA: false, transposeB: true, alpha: 1),
                    on: [reset, candidateWeights]),
                candidateBias)
        }
        let candidate = try activation(&c, .tanh, try add(&c, try columns(&c, xw, gate: 2, hidden), recurrent))
        // h' = h~ + z (h - h~)
        return try add(&c, candidate, try combine(&c, .multiply, z, try combine(&c, .subtract, state, candidate)))
    }

    /// `i, o, f` gates and the candidate `c~`; `C' = f C + i c~`, `H' = o tanh(C')`.
    private static func lstmStep(
        _ c: inout Compilation, xw: TensorHandle, hr: TensorHandle, memory: TensorHandle, hidden: Int
    ) throws -> (TensorHandle, TensorHandle) {
        func gate(_ index: Int, _ function: Elementwise.Function) throws -> TensorHandle {
            try activation(&c, function, try add(&c, try columns(&c, xw, gate: index, hidden), try columns(&c, hr, gate: index, hidden)))
        }
        let (input, output, forget, candidate) = (try gate(0, .sigmoid), try gate(1, .sigmoid), try gate(2, .sigmoid), try gate(3, .tanh))
        let cell = try add(&c, try combine(&c, .multiply, forget, memory), try combine(&c, .multiply, input, candidate))
        return (try combine(&c, .multiply, output, try activation(&c, .tanh, cell)), cell)
    }

    // MARK: - Pieces

    /// Rows `from..<from + count` of a matrix.
    private static func rows(_ c: inout Compilation, _ matrix: TensorHandle, from start: Int, count: Int) throws -> TensorHandle {
        let map = try IndexMaps.strided(matrix.shape, starts: [start, 0], steps: [1, 1], counts: [count, matrix.shape[1]])
        return try c.run(try IndexMap(name: "Slice", inputShape: matrix.shape, outputShape: map.shape, sources: map.sources, fill: 0), on: [matrix])
    }

    /// Gate `gate`'s `hidden` columns of a [rows, gates * hidden] matrix.
    private static func columns(_ c: inout Compilation, _ matrix: TensorHandle, gate: Int, _ hidden: Int) throws -> TensorHandle {
        let map = try IndexMaps.strided(matrix.shape, starts: [0, gate * hidden], steps: [1, 1], counts: [matrix.shape[0], hidden])
        return try c.run(try IndexMap(name: "Slice", inputShape: matrix.shape, outputShape: map.shape, sources: map.sources, fill: 0), on: [matrix])
    }

    private static func add(_ c: inout Compilation, _ a: TensorHandle, _ b: TensorHandle) throws -> TensorHandle {
        try combine(&c, .add, a, b)
    }

    private static func combine(_ c: inout Compilation, _ function: Arithmetic.Function, _ a: TensorHandle, _ b: TensorHandle) throws -> TensorHandle
    {
        try c.run(try Arithmetic(function, a.shape, b.shape), on: [a, b])
    }

    private static func activation(_ c: inout Compilation, _ function: Elementwise.Function, _ x: TensorHandle) throws -> TensorHandle {
        let name = c.node.opType
        return try c.run(Elementwise(function, shape: x.shape, name: name), on: [x])
    }

    private static func concatenate(_ c: inout Compilation, _ parts: [TensorHandle], axis: Int) throws -> TensorHandle {
        parts.count == 1 ? parts[0] : try c.run(try Concatenation(shapes: parts.map(\.shape), axis: axis), on: parts)
    }
}
