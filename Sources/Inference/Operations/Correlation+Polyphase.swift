/// The polyphase strategy for 1D strided correlations whose kernel is longer than the stride
/// (the first convolution of a downsampling block). Splitting the input into its `s` phases,
/// `P[r][c][u] = x[c][s u + r - pad]`, turns the stride-`s` correlation with `k` taps into a
/// stride-1 one with `ceil(k / s)` taps over `s C` channels:
/// `y[m][t] = sum_q sum_(r,c) w[m][c][s q + r] P[r][c][t + q]`, one `cblas_sgemm` per tap `q` on a
/// shifted view of `P`. Tap `q` reads only the phases `r < k - s q`, a prefix of `P`'s rows, so
/// no multiply is wasted. The split copies each input sample once, where im2col copies it
/// `k / s` times (and col2im adds it back as often in the adjoint).
extension Correlation {
    /// Whether the geometry suits the polyphase strategy.
    static func suitsPolyphase(_ g: ConvolutionGeometry) -> Bool {
        g.kernelSize.count == 1 && g.groups == 1 && g.dilations == [1] && g.strides[0] > 1 && g.kernelSize[0] > g.strides[0]
    }

    /// Taps of the stride-1 correlation over the phases.
    var phaseTaps: Int { (geometry.kernelSize[0] + geometry.strides[0] - 1) / geometry.strides[0] }
    /// Samples of each phase row: the output positions plus the reach of the taps.
    var phaseLength: Int { geometry.outputPositions + phaseTaps - 1 }
    /// Elements of the phase matrix of one example: `s C` rows of `phaseLength`.
    var phaseCount: Int { geometry.strides[0] * geometry.inputChannels * phaseLength }

    /// `[phaseTaps, M, s C]`: the weight matrix of each phase tap, `W_q[m][r C + c] = w[m][c][s q + r]`
    /// (zero where `s q + r` is past the kernel).
    static func phaseWeights(_ weights: [Float], geometry g: ConvolutionGeometry) -> [Float] {
        let (s, k, channels, outputs) = (g.strides[0], g.kernelSize[0], g.inputChannels, g.outputChannels)
        let taps = (k + s - 1) / s, rows = s * channels
        var result = [Float](repeating: 0, count: taps * outputs * rows)
        for q in 0..<taps {
            for m in 0..<outputs {
                for r in 0..<s where s * q + r < k {
                    for c in 0..<channels {
                        result[(q * outputs + m) * rows + r * channels + c] = weights[(m * channels + c) * k + s * q + r]
                    }
                }
            }
        }
        return result
    }

    /// Rows of the phase matrix that tap `q` reads.
    private func phaseRows(tap q: Int) -> Int {
        let g = geometry
        return g.inputChannels * min(g.strides[0], g.kernelSize[0] - g.strides[0] * q)
    }

    /// `output (+)= W ⋆ input` through the phases.
    func applyPolyphase(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
        context: OperationContext
    ) {
        let g = geometry
        let (positions, length, rows) = (g.outputPositions, phaseLength, g.strides[0] * g.inputChannels)
        nonisolated(unsafe) let (input, output) = (input, output)
        forEachExample(context: context) { example, phases, weights in
            splitPhases(input.baseAddress! + example * g.inputChannels * g.inputPositions, into: phases)
            let target = output.baseAddress! + example * g.outputChannels * positions
            for q in 0..<phaseTaps {
                matrixMultiply(
                    m: g.outputChannels, n: positions, k: phaseRows(tap: q), weights + q * g.outputChannels * rows, lda: rows,
                    phases + q, ldb: length, beta: accumulate || q > 0 ? 1 : 0, target, ldc: positions)
            }
        }
    }

    /// `inputGradient += Wᵀ ⋆ outputGradient`: the phase gradients by one product per tap, then
    /// added back onto the samples they came from.
    func applyPolyphaseAdjoint(
        _ outputGradient: UnsafeBufferPointer<Float>, addingInto inputGradient: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let g = geometry
        let (positions, length, rows) = (g.outputPositions, phaseLength, g.strides[0] * g.inputChannels)
        nonisolated(unsafe) let (outputGradient, inputGradient) = (outputGradient, inputGradient)
        forEachExample(context: context) { example, phases, weights in
            let source = outputGradient.baseAddress! + example * g.outputChannels * positions
            // Tap 0 reads every row and the first `positions` columns; the rest start at zero.
            for row in 0..<rows { (phases + row * length + positions).update(repeating: 0, count: length - positions) }
            for q in 0..<phaseTaps {
                matrixMultiply(
                    transposeA: true, m: phaseRows(tap: q), n: positions, k: g.outputChannels,
                    weights + q * g.outputChannels * rows, lda: rows,
                    source, ldb: positions, beta: q > 0 ? 1 : 0, phases + q, ldc: length)
            }
            mergePhases(phases, addingInto: inputGradient.baseAddress! + example * g.inputChannels * g.inputPositions)
        }
    }

    /// Calls `body(example, phases, weights)` for every example, spread over the context's
    /// threads: `phases` is the worker's phase matrix in scratch, `weights` the phase weights.
    private func forEachExample(
        context: OperationContext,
        _ body: @Sendable (Int, UnsafeMutablePointer<Float>, UnsafePointer<Float>) -> Void
    ) {
        let phaseCount = phaseCount
        nonisolated(unsafe) let scratch = context.scratch
        tapWeights.withUnsafeBufferPointer { weights in
            nonisolated(unsafe) let weights = weights.baseAddress!
            context.parallelism.forEachSlice(of: geometry.batch) { worker, examples in
                for example in examples { body(example, scratch.baseAddress! + worker * phaseCount, weights) }
            }
        }
    }

    /// Calls `body(row, first, count, offset)` for each phase row `r C + c`: phase samples
    /// `first ..< first + count` come from input samples `s u + offset` of channel `c`; the
    /// others lie in the padding.
    private func forEachPhaseRun(_ body: (_ row: Int, _ channel: Int, _ first: Int, _ count: Int, _ offset: Int) -> Void) {
        let g = geometry
        for r in 0..<g.strides[0] {
            let (first, count, offset) = phaseRun(r)
            for c in 0..<g.inputChannels { body(r * g.inputChannels + c, c, first, count, offset) }
        }
    }

    /// Where phase `r` reads the input: phase sample `u` is input sample `s u + offset`, inside
    /// the input for `u` in `first ..< first + count`.
    private func phaseRun(_ r: Int) -> (first: Int, count: Int, offset: Int) {
        let g = geometry
        let (s, offset) = (g.strides[0], r - g.padsBegin[0])
        let first = offset >= 0 ? 0 : (-offset + s - 1) / s
        let last = min(phaseLength - 1, g.inputPositions - 1 - offset < 0 ? -1 : (g.inputPositions - 1 - offset) / s)
        return (first, max(0, last - first + 1), offset)
    }

    /// Phase samples that every phase reads from the input, in whole groups of four, when the
    /// stride is 4: there one 4x4 transpose moves sixteen samples (see `splitPhases`).
    private var transposedRange: Range<Int> {
        guard geometry.strides[0] == 4 else { return 0..<0 }
        let runs = (0..<4).map(phaseRun)
        let lower = runs.map(\.first).max()!, upper = runs.map { $0.first + $0.count }.min()!
        return lower..<max(lower, lower + (upper - lower) / 4 * 4)
    }

    /// Writes the phase matrix of one example's input.
    private func splitPhases(_ input: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (s, length, samples, channels) = (g.strides[0], phaseLength, g.inputPositions, g.inputChannels)
        let fast = transposedRange
        forEachPhaseRun { row, channel, first, count, offset in
            let target = phases + row * length, source = input + channel * samples + offset
            target.update(repeating: 0, count: first)
            Self.forEach(in: first..<(first + count), outside: fast) { target[$0] = source[$0 &* s] }
            (target + first + count).update(repeating: 0, count: length - first - count)
        }
        guard !fast.isEmpty else { return }
        for channel in 0..<channels {
            let source = UnsafeRawPointer(input + channel * samples - g.padsBegin[0])
            let row = { (r: Int) in UnsafeMutableRawPointer(phases + (r * channels + channel) * length) }
            let rows = (row(0), row(1), row(2), row(3))
            for u in stride(from: fast.lowerBound, to: fast.upperBound, by: 4) {
                let block = source + 4 * u * MemoryLayout<Float>.stride
                let (a, b, c, d) = Self.transpose(
                    block.loadUnaligned(as: SIMD4<Float>.self),
                    block.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self),
                    block.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self),
                    block.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self))
                let offset = u * MemoryLayout<Float>.stride
                rows.0.storeBytes(of: a, toByteOffset: offset, as: SIMD4<Float>.self)
                rows.1.storeBytes(of: b, toByteOffset: offset, as: SIMD4<Float>.self)
                rows.2.storeBytes(of: c, toByteOffset: offset, as: SIMD4<Float>.self)
                rows.3.storeBytes(of: d, toByteOffset: offset, as: SIMD4<Float>.self)
            }
        }
    }

    /// Adds the phase matrix's gradients onto the input samples they came from.
    private func mergePhases(_ phases: UnsafePointer<Float>, addingInto gradient: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (s, length, samples, channels) = (g.strides[0], phaseLength, g.inputPositions, g.inputChannels)
        let fast = transposedRange
        forEachPhaseRun { row, channel, first, count, offset in
            let source = phases + row * length, target = gradient + channel * samples + offset
            Self.forEach(in: first..<(first + count), outside: fast) { target[$0 &* s] += source[$0] }
        }
        guard !fast.isEmpty else { return }
        for channel in 0..<channels {
            let target = UnsafeMutableRawPointer(gradient + channel * samples - g.padsBegin[0])
            let row = { (r: Int) in UnsafeRawPointer(phases + (r * channels + channel) * length) }
            let rows = (row(0), row(1), row(2), row(3))
            for u in stride(from: fast.lowerBound, to: fast.upperBound, by: 4) {
                let offset = u * MemoryLayout<Float>.stride
                let (a, b, c, d) = Self.transpose(
                    rows.0.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self),
                    rows.1.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self),
                    rows.2.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self),
                    rows.3.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self))
                let block = target + 4 * u * MemoryLayout<Float>.stride
                for (index, sums) in [a, b, c, d].enumerated() {
                    let place = index * 16
                    block.storeBytes(
                        of: block.loadUnaligned(fromByteOffset: place, as: SIMD4<Float>.self) + sums,
                        toByteOffset: place, as: SIMD4<Float>.self)
                }
            }
        }
    }

    /// Calls `body` on the samples of `run` before and after `inner` (all of `run` when `inner`
    /// is empty).
    @inline(__always)
    private static func forEach(in run: Range<Int>, outside inner: Range<Int>, _ body: (Int) -> Void) {
        let (lower, upper) = inner.isEmpty ? (run.upperBound, run.upperBound) : (inner.lowerBound, inner.upperBound)
        for u in run.lowerBound..<max(run.lowerBound, min(run.upperBound, lower)) { body(u) }
        for u in min(run.upperBound, max(run.lowerBound, upper))..<run.upperBound { body(u) }
    }

    /// The transpose of the 4x4 matrix with rows `a`, `b`, `c`, `d`.
    @inline(__always)
    private static func transpose(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)
    {
        (SIMD4(a[0], b[0], c[0], d[0]), SIMD4(a[1], b[1], c[1], d[1]), SIMD4(a[2], b[2], c[2], d[2]), SIMD4(a[3], b[3], c[3], d[3]))
    }
}
