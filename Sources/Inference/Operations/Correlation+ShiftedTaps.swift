/// The shifted-taps strategy for 1D stride-1 correlations: the output is the sum over kernel taps
/// of `W[:, :, tap]` times the input shifted by the tap, one `cblas_sgemm` per tap reading a view
/// of the input directly (no im2col copy to write and read back).
extension Correlation {
    /// `output (+)= W ⋆ input`, one matrix product per tap.
    func applyShiftedTaps(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
        context: OperationContext
    ) {
        let g = geometry
        let positions = g.outputPositions, length = g.inputPositions
        let (inputs, outputs, taps) = (g.inputChannelsPerGroup, g.outputChannelsPerGroup, g.taps)
        let (dilation, pad) = (g.dilations[0], g.padsBegin[0])
        // Output positions whose input sample (position + tap * dilation - pad) lies in the input.
        let ranges = (0..<taps).map { tap in
            let lower = max(0, pad - tap * dilation), upper = min(positions, length + pad - tap * dilation)
            return lower..<max(lower, upper)
        }
        // A tap that reaches every position can start the sum (beta 0) without clearing first.
        let full = ranges.firstIndex { $0 == 0..<positions }
        let order = full.map { [$0] + (0..<taps).filter { $0 != full } } ?? Array(0..<taps)
        // Whole rows make the largest products (no scratch to bound); split only to feed threads.
        let units = g.batch * g.groups, threads = context.parallelism.threads
        let tiles = units < threads ? threads : 1
        let tile = (positions + tiles - 1) / tiles
        nonisolated(unsafe) let (input, output) = (input, output)
        tapWeights.withUnsafeBufferPointer { weights in
            nonisolated(unsafe) let weights = weights
            context.parallelism.forEachSlice(of: g.batch * g.groups * tiles) { _, items in
                for item in items {
                    let (unit, tileIndex) = item.quotientAndRemainder(dividingBy: tiles)
                    let (example, group) = unit.quotientAndRemainder(dividingBy: g.groups)
                    let window = (tileIndex * tile)..<min(positions, (tileIndex + 1) * tile)
                    let source = input.baseAddress! + (example * g.inputChannels + group * inputs) * length
                    let target = output.baseAddress! + (example * g.outputChannels + group * outputs) * positions
                    var started = accumulate
                    if !started && full == nil {
                        for row in 0..<outputs { (target + row * positions + window.lowerBound).update(repeating: 0, count: window.count) }
                        started = true
                    }
                    for tap in order {
                        let range = ranges[tap].clamped(to: window)
                        guard !range.isEmpty else { continue }
                        matrixMultiply(
                            m: outputs, n: range.count, k: inputs,
                            weights.baseAddress! + (tap * g.outputChannels + group * outputs) * inputs, lda: inputs,
                            source + range.lowerBound + tap * dilation - pad, ldb: length,
                            beta: started ? 1 : 0, target + range.lowerBound, ldc: positions)
                        started = true
                    }
                }
            }
        }
    }
}
