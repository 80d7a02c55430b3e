import Inference
import NDArray

/// `GRU` and `LSTM` (ONNX semantics, `layout` 0: X is [seq, batch, input]): per direction, the
/// input projections of every step as one matrix product, then the step loop as one `Recurrence`
/// operation (a product with the recurrence weights per step, forward and backward through time).
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

    /// One direction's weights: the input's as program tensors, the recurrence's for `Recurrence`.
    private struct Weights {
        /// [gates * H, input] and [1, gates * H].
        let input: TensorHandle, inputBias: TensorHandle
        /// [gates * H, H] and [gates * H].
        let recurrence: NDArray<Float>, recurrenceBias: NDArray<Float>
    }

    private static func recurrent(_ c: inout Compilation, _ cell: Cell) throws -> [CompiledValue] {
        try checkAttributes(&c, cell)
        // Layout 1 is batch first ([batch, sequence, input], states [batch, directions, H]):
        // transposed to layout 0 here, and the outputs back at the end.
        let batchFirst = try c.int("layout", default: 0) != 0
        var x = try c.tensor(0)
        guard x.shape.count == 3 else {
            throw c.failure(
                "X has shape \(x.shape); expected \(batchFirst ? "[batch, sequence, input] (layout 1)" : "[sequence, batch, input] (layout 0)")")
        }
        if batchFirst { x = try transpose(&c, x, [1, 0, 2]) }
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
        var sequences: [TensorHandle] = [], finals: [TensorHandle] = [], cells: [TensorHandle] = []
        for (index, reversed) in directions.enumerated() {
            let weights = try directionWeights(&c, index: index, gates: gates, inputSize: inputSize, hidden: hidden)
            let state = try initialState(&c, input: 5, index: index, batch: batch, hidden: hidden, batchFirst: batchFirst)
            // X [T, B, I] as [T * B, I] times W^T: every step's input projection in one product, plus its bias.
            let flat = x.reshaped([steps * batch, inputSize])!
            let projected = try add(
                &c,
                try c.run(
                    try MatrixProduct(gemm: flat.shape, weights.input.shape, transposeA: false, transposeB: true, alpha: 1),
                    on: [flat, weights.input]), weights.inputBias)
            var layerInputs = [projected, state]
            if cell == .lstm {
                layerInputs.append(try initialState(&c, input: 6, index: index, batch: batch, hidden: hidden, batchFirst: batchFirst))
            }
            let layer = try c.run(
                try Recurrence(
                    cell: cell == .lstm ? .lstm : .gru(linearBeforeReset: linearBeforeReset), steps: steps, batch: batch, hidden: hidden,
                    reversed: reversed, recurrence: weights.recurrence, recurrenceBias: weights.recurrenceBias),
                on: layerInputs)
            // [T, B, width] as rows of width: the hidden states (and LSTM's cells) of every step.
            let width = layer.shape[2], rows = layer.reshaped([steps * batch, width])!
            let hiddenStates = try slice(&c, rows, rows: 0..<(steps * batch), columns: 0..<hidden)
            let last = (reversed ? 0 : steps - 1) * batch
            sequences.append(hiddenStates.reshaped([steps, 1, batch, hidden])!)
            finals.append(try slice(&c, rows, rows: last..<(last + batch), columns: 0..<hidden))
            if cell == .lstm { cells.append(try slice(&c, rows, rows: last..<(last + batch), columns: hidden..<(2 * hidden))) }
        }
        // Y [T, directions, B, H]; Y_h (and LSTM's Y_c) [directions, B, H]; batch first for layout 1.
        let y = try concatenate(&c, sequences, axis: 1)
        var results = [y, try concatenate(&c, finals.map { $0.reshaped([1, batch, hidden])! }, axis: 0)]
        if cell == .lstm { results.append(try concatenate(&c, cells.map { $0.reshaped([1, batch, hidden])! }, axis: 0)) }
        if batchFirst {
            results = try results.enumerated().map { index, tensor in try transpose(&c, tensor, index == 0 ? [2, 0, 1, 3] : [1, 0, 2]) }
        }
        return results.map { .runtime($0) }
    }

    /// Refuses what the cells do not implement: other activations, clipping, LSTM's coupled
    /// input/forget gate and peepholes.
    private static func checkAttributes(_ c: inout Compilation, _ cell: Cell) throws {
        if case let .strings(activations)? = c.node.attributes["activations"] {
            let expected = cell.defaultActivations
            guard activations == expected || activations == expected + expected else {
                throw c.failure("activations \(activations) are not supported; only the default \(expected)")
            }
        }
        if c.node.attributes["clip"] != nil { throw c.failure("the 'clip' attribute is not supported") }
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
            inputBias: c.builder.constant(NDArray(shape: [1, gates], storage: Array(bias[..<gates]))),
            recurrence: NDArray(shape: [gates, hidden], storage: Array(r.storage[(index * rSize)..<((index + 1) * rSize)])),
            recurrenceBias: NDArray(shape: [gates], storage: Array(bias[gates...])))
    }

    /// Direction `index` of the optional initial state input `input` ([directions, B, H], or
    /// [B, directions, H] batch first), or zeros.
    private static func initialState(
        _ c: inout Compilation, input: Int, index: Int, batch: Int, hidden: Int, batchFirst: Bool
    ) throws -> TensorHandle {
        guard c.node.inputs.count > input, !c.node.inputs[input].isEmpty else {
            return c.builder.constant(NDArray(shape: [batch, hidden], storage: [Float](repeating: 0, count: batch * hidden)))
        }
        var state = try c.tensor(input)
        let expected = batchFirst ? "[\(batch), directions, \(hidden)]" : "[directions, \(batch), \(hidden)]"
        guard state.shape.count == 3 else { throw c.failure("initial state \(state.shape) is not \(expected)") }
        if batchFirst { state = try transpose(&c, state, [1, 0, 2]) }
        guard state.shape[1] == batch, state.shape[2] == hidden, index < state.shape[0] else {
            throw c.failure("initial state \(state.shape) is not \(expected)")
        }
        return try slice(&c, state.reshaped([state.shape[0] * batch, hidden])!, rows: (index * batch)..<((index + 1) * batch), columns: 0..<hidden)
    }

    // MARK: - Pieces

    /// The block `rows` x `columns` of a matrix.
    private static func slice(_ c: inout Compilation, _ matrix: TensorHandle, rows: Range<Int>, columns: Range<Int>) throws -> TensorHandle {
        let map = try IndexMaps.strided(
            matrix.shape, starts: [rows.lowerBound, columns.lowerBound], steps: [1, 1], counts: [rows.count, columns.count])
        return try c.run(try IndexMap(name: "Slice", inputShape: matrix.shape, outputShape: map.shape, sources: map.sources, fill: 0), on: [matrix])
    }

    private static func transpose(_ c: inout Compilation, _ x: TensorHandle, _ permutation: [Int]) throws -> TensorHandle {
        let map = try IndexMaps.transpose(x.shape, permutation: permutation)
        return try c.run(try IndexMap(name: "Transpose", inputShape: x.shape, outputShape: map.shape, sources: map.sources), on: [x])
    }

    private static func add(_ c: inout Compilation, _ a: TensorHandle, _ b: TensorHandle) throws -> TensorHandle {
        try c.run(try Arithmetic(.add, a.shape, b.shape), on: [a, b])
    }

    private static func concatenate(_ c: inout Compilation, _ parts: [TensorHandle], axis: Int) throws -> TensorHandle {
        parts.count == 1 ? parts[0] : try c.run(try Concatenation(shapes: parts.map(\.shape), axis: axis), on: parts)
    }
}
