import NDArray

/// A whole recurrent layer in one direction (ONNX `GRU` or `LSTM`, layout 0) as one operation:
/// the step loop with one matrix product by the recurrence weights per step forward, and per
/// step backward (backpropagation through time, recomputing each step's gates from the stored
/// states). Memory is the states themselves: no per-step tensors, no per-step program steps.
///
/// Inputs: every step's input projection `X W^T + Wb` as [steps * batch, gates * hidden] (a
/// matrix product before this operation), the initial hidden state [batch, hidden] and, for
/// LSTM, the initial cell [batch, hidden]. Output [steps, batch, hidden] (GRU), or
/// [steps, batch, 2 * hidden] for LSTM (hidden then cell), in time order whatever the direction.
public struct Recurrence: DifferentiableOperation {
    /// The cell, with GRU's choice of where the reset gate applies.
    public enum Cell: Sendable, Equatable {
        /// ONNX gate order z, r, h; `linearBeforeReset` (PyTorch's GRU) applies r after the product.
        case gru(linearBeforeReset: Bool)
        /// ONNX gate order i, o, f, c.
        case lstm
    }

    public let name: String
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    let cell: Cell
    let (steps, batch, hidden): (Int, Int, Int)
    /// Whether the layer runs from the last step to the first.
    let reversed: Bool
    /// R [gates * hidden, hidden] and Rb [gates * hidden].
    let recurrence: [Float], recurrenceBias: [Float]

    var gates: Int { cell == .lstm ? 4 : 3 }
    /// Output columns per row: the hidden state, and for LSTM the cell after it.
    var width: Int { cell == .lstm ? 2 * hidden : hidden }

    /// A layer of `steps` steps over `batch` sequences with `hidden` units.
    public init(
        cell: Cell, steps: Int, batch: Int, hidden: Int, reversed: Bool, recurrence: NDArray<Float>, recurrenceBias: NDArray<Float>
    ) throws(InferenceError) {
        let gates = cell == .lstm ? 4 : 3
        name = cell == .lstm ? "LSTM" : "GRU"
        guard steps >= 1, batch >= 1, hidden >= 1, recurrence.shape == [gates * hidden, hidden], recurrenceBias.count == gates * hidden
        else {
            throw .invalidShapes(
                operation: name, shapes: [recurrence.shape, recurrenceBias.shape],
                expected: "R [\(gates * hidden), \(hidden)] and Rb [\(gates * hidden)] for \(steps) steps of \(batch) sequences")
        }
        (self.cell, self.steps, self.batch, self.hidden, self.reversed) = (cell, steps, batch, hidden, reversed)
        (self.recurrence, self.recurrenceBias) = (recurrence.storage, recurrenceBias.storage)
        inputShapes = [[steps * batch, gates * hidden], [batch, hidden]] + (cell == .lstm ? [[batch, hidden]] : [])
        outputShape = [steps, batch, cell == .lstm ? 2 * hidden : hidden]
    }

    public var backwardReads: BackwardReads { [.inputs, .output] }

    /// Forward: the recurrence product [B, G H] and GRU's reset product and candidate [B, H].
    /// Backward adds the gates' gradients [B, G H] and four [B, H] rows (hidden gradient, the
    /// two carries, the candidate's gradient).
    public func scratchCount(for parallelism: Parallelism) -> Int {
        batch * gates * hidden * 2 + batch * hidden * 6
    }

    /// The time index of processing position `position`.
    private func time(_ position: Int) -> Int { reversed ? steps - 1 - position : position }

    /// Where step `position`'s previous hidden state (and LSTM cell) are: the initial ones, or
    /// the previous step's output row (leading dimension `width`).
    private func previous(
        _ position: Int, inputs: [UnsafeBufferPointer<Float>], output: UnsafeBufferPointer<Float>
    ) -> (h: UnsafePointer<Float>, c: UnsafePointer<Float>?, ld: Int) {
        guard position > 0 else { return (inputs[1].baseAddress!, cell == .lstm ? inputs[2].baseAddress! : nil, hidden) }
        let row = output.baseAddress! + time(position - 1) * batch * width
        return (row, cell == .lstm ? row + hidden : nil, width)
    }

    /// `hr = h_prev R^T + Rb` for the first `rows` gate rows of R.
    private func recurrenceProduct(_ h: UnsafePointer<Float>, ld: Int, rows: Int, into hr: UnsafeMutablePointer<Float>) {
        let g = gates * hidden
        recurrence.withUnsafeBufferPointer { r in
            matrixMultiply(transposeB: true, m: batch, n: rows, k: hidden, h, lda: ld, r.baseAddress!, ldb: hidden, beta: 0, hr, ldc: g)
        }
        for b in 0..<batch {
            for j in 0..<rows { hr[b * g + j] += recurrenceBias[j] }
        }
    }

    /// GRU without linear_before_reset: `(r h_prev) R_h^T + Rb_h` into `candidate` [B, H], with
    /// `r h_prev` left in `reset` [B, H].
    private func resetProduct(
        r: (Int, Int) -> Float, h: UnsafePointer<Float>, ld: Int, reset: UnsafeMutablePointer<Float>, candidate: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            for j in 0..<hidden { reset[b * hidden + j] = r(b, j) * h[b * ld + j] }
        }
        recurrence.withUnsafeBufferPointer { weights in
            matrixMultiply(
                transposeB: true, m: batch, n: hidden, k: hidden, reset, lda: hidden, weights.baseAddress! + 2 * hidden * hidden,
                ldb: hidden, beta: 0, candidate, ldc: hidden)
        }
        for b in 0..<batch {
            for j in 0..<hidden { candidate[b * hidden + j] += recurrenceBias[2 * hidden + j] }
        }
    }

    /// A GRU step's gates from the input projection `xw` and `h_prev` (computes the recurrence
    /// products into `hr`, and for linear_before_reset = 0 the reset product into `candidate`):
    /// `gate(b, j)` gives z, r and the candidate n of unit j of sequence b.
    private func gruGates(
        linearBeforeReset: Bool, xw: UnsafePointer<Float>, h: UnsafePointer<Float>, ld: Int, hr: UnsafeMutablePointer<Float>,
        reset: UnsafeMutablePointer<Float>, candidate: UnsafeMutablePointer<Float>
    ) -> (Int, Int) -> (z: Float, r: Float, n: Float) {
        let g = gates * hidden
        recurrenceProduct(h, ld: ld, rows: linearBeforeReset ? g : 2 * hidden, into: hr)
        let r = { (b: Int, j: Int) in Elementwise.sigmoid(xw[b * g + hidden + j] + hr[b * g + hidden + j]) }
        if !linearBeforeReset { resetProduct(r: r, h: h, ld: ld, reset: reset, candidate: candidate) }
        return { b, j in
            let (z, rj) = (Elementwise.sigmoid(xw[b * g + j] + hr[b * g + j]), r(b, j))
            let recurrent = linearBeforeReset ? rj * hr[b * g + 2 * hidden + j] : candidate[b * hidden + j]
            return (z, rj, ScalarMath.tanh(xw[b * g + 2 * hidden + j] + recurrent))
        }
    }

    /// An LSTM step's gates i, o, f and the candidate u of unit j of sequence b (after
    /// `recurrenceProduct` filled `hr`).
    private func lstmGates(_ b: Int, _ j: Int, xw: UnsafePointer<Float>, hr: UnsafePointer<Float>) -> (i: Float, o: Float, f: Float, u: Float) {
        let g = gates * hidden
        let a = { (gate: Int) in xw[b * g + gate * hidden + j] + hr[b * g + gate * hidden + j] }
        return (Elementwise.sigmoid(a(0)), Elementwise.sigmoid(a(1)), Elementwise.sigmoid(a(2)), ScalarMath.tanh(a(3)))
    }

    public func forward(_ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>, context: OperationContext) {
        let g = gates * hidden
        let scratch = context.scratch.baseAddress!
        let hr = scratch, reset = scratch + batch * g, candidate = reset + batch * hidden
        let readOutput = UnsafeBufferPointer(output)
        for position in 0..<steps {
            let t = time(position)
            let (h, c, ld) = previous(position, inputs: inputs, output: readOutput)
            let xw = inputs[0].baseAddress! + t * batch * g
            let out = output.baseAddress! + t * batch * width
            switch cell {
            case let .gru(linearBeforeReset):
                let gate = gruGates(linearBeforeReset: linearBeforeReset, xw: xw, h: h, ld: ld, hr: hr, reset: reset, candidate: candidate)
                for b in 0..<batch {
                    for j in 0..<hidden {
                        let (z, _, n) = gate(b, j)
                        out[b * width + j] = n + z * (h[b * ld + j] - n)
                    }
                }
            case .lstm:
                recurrenceProduct(h, ld: ld, rows: g, into: hr)
                for b in 0..<batch {
                    for j in 0..<hidden {
                        let (i, o, f, u) = lstmGates(b, j, xw: xw, hr: hr)
                        let cell = f * c![b * ld + j] + i * u
                        out[b * width + hidden + j] = cell
                        out[b * width + j] = o * ScalarMath.tanh(cell)
                    }
                }
            }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>], output: UnsafeBufferPointer<Float>,
        into inputGradients: [UnsafeMutableBufferPointer<Float>?], context: OperationContext
    ) {
        let g = gates * hidden
        let scratch = context.scratch.baseAddress!
        let hr = scratch, reset = scratch + batch * g, candidate = reset + batch * hidden
        let da = candidate + batch * hidden  // gradients of the gates' pre-activations [B, G H]
        let dh = da + batch * g, carryH = dh + batch * hidden, carryC = carryH + batch * hidden
        let dReset = carryC + batch * hidden
        for index in 0..<(batch * hidden) { (carryH[index], carryC[index]) = (0, 0) }
        for position in (0..<steps).reversed() {
            let t = time(position)
            let (h, c, ld) = previous(position, inputs: inputs, output: output)
            let xw = inputs[0].baseAddress! + t * batch * g
            let out = output.baseAddress! + t * batch * width, gradient = outputGradient.baseAddress! + t * batch * width
            for b in 0..<batch {
                for j in 0..<hidden { dh[b * hidden + j] = gradient[b * width + j] + carryH[b * hidden + j] }
            }
            switch cell {
            case let .gru(linearBeforeReset):
                let gate = gruGates(linearBeforeReset: linearBeforeReset, xw: xw, h: h, ld: ld, hr: hr, reset: reset, candidate: candidate)
                // r alone, for the loops after the gates: without recomputing z and the candidate's tanh.
                let r = { (b: Int, j: Int) in Elementwise.sigmoid(xw[b * g + hidden + j] + hr[b * g + hidden + j]) }
                for b in 0..<batch {
                    for j in 0..<hidden {
                        let (z, rj, n) = gate(b, j)
                        let gradientH = dh[b * hidden + j], previousH = h[b * ld + j]
                        let dz = gradientH * (previousH - n), dn = gradientH * (1 - z) * (1 - n * n)
                        carryH[b * hidden + j] = gradientH * z
                        da[b * g + j] = dz * z * (1 - z)
                        da[b * g + 2 * hidden + j] = dn
                        // r's gradient: through r * (h R_h^T + Rb_h), or through (r h) R_h^T below.
                        if linearBeforeReset { da[b * g + hidden + j] = dn * hr[b * g + 2 * hidden + j] * rj * (1 - rj) }
                        dReset[b * hidden + j] = dn
                    }
                }
                if linearBeforeReset {
                    // The recurrence product saw [da_z, da_r, dn * r].
                    for b in 0..<batch {
                        for j in 0..<hidden { hr[b * g + 2 * hidden + j] = dReset[b * hidden + j] * r(b, j) }
                        for j in 0..<(2 * hidden) { hr[b * g + j] = da[b * g + j] }
                    }
                } else {
                    // d(r h) = dn R_h; r's gradient is d(r h) h_prev, and h_prev gets d(r h) r.
                    recurrence.withUnsafeBufferPointer { weights in
                        matrixMultiply(
                            m: batch, n: hidden, k: hidden, dReset, lda: hidden, weights.baseAddress! + 2 * hidden * hidden, ldb: hidden,
                            beta: 0, candidate, ldc: hidden)
                    }
                    for b in 0..<batch {
                        for j in 0..<hidden {
                            let rj = r(b, j), dProduct = candidate[b * hidden + j]
                            da[b * g + hidden + j] = dProduct * h[b * ld + j] * rj * (1 - rj)
                            carryH[b * hidden + j] += dProduct * rj
                        }
                        for j in 0..<(2 * hidden) { hr[b * g + j] = da[b * g + j] }
                    }
                }
                // h_prev's gradient through the recurrence product: [B, rows] x R[rows, H].
                recurrence.withUnsafeBufferPointer { weights in
                    matrixMultiply(
                        m: batch, n: hidden, k: linearBeforeReset ? g : 2 * hidden, hr, lda: g, weights.baseAddress!, ldb: hidden,
                        beta: 1, carryH, ldc: hidden)
                }
            case .lstm:
                recurrenceProduct(h, ld: ld, rows: g, into: hr)
                for b in 0..<batch {
                    for j in 0..<hidden {
                        let (i, o, f, u) = lstmGates(b, j, xw: xw, hr: hr)
                        let squashed = ScalarMath.tanh(out[b * width + hidden + j]), gradientH = dh[b * hidden + j]
                        let gradientC =
                            gradient[b * width + hidden + j] + carryC[b * hidden + j] + gradientH * o * (1 - squashed * squashed)
                        da[b * g + j] = gradientC * u * i * (1 - i)
                        da[b * g + hidden + j] = gradientH * squashed * o * (1 - o)
                        da[b * g + 2 * hidden + j] = gradientC * c![b * ld + j] * f * (1 - f)
                        da[b * g + 3 * hidden + j] = gradientC * i * (1 - u * u)
                        carryC[b * hidden + j] = gradientC * f
                    }
                }
                recurrence.withUnsafeBufferPointer { weights in
                    matrixMultiply(m: batch, n: hidden, k: g, da, lda: g, weights.baseAddress!, ldb: hidden, beta: 0, carryH, ldc: hidden)
                }
            }
            if let dx = inputGradients[0] {
                let target = dx.baseAddress! + t * batch * g
                for index in 0..<(batch * g) { target[index] += da[index] }
            }
        }
        if let dh0 = inputGradients[1] {
            for index in 0..<(batch * hidden) { dh0[index] += carryH[index] }
        }
        if cell == .lstm, let dc0 = inputGradients[2] {
            for index in 0..<(batch * hidden) { dc0[index] += carryC[index] }
        }
    }
}
