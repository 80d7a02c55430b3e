/// The im2col strategy (and the pointwise one, whose input is its own im2col matrix).
extension Correlation {
    /// `output (+)= W ⋆ input` by im2col blocks and `cblas_sgemm`.
    func applyGathered(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
        context: OperationContext
    ) {
        let g = geometry
        let rows = g.patchLength, positions = g.outputPositions, outputsPerGroup = g.outputChannelsPerGroup
        let tile = tile(for: context.parallelism), columns = columnCount
        let tiles = (positions + tile - 1) / tile
        nonisolated(unsafe) let (input, output, scratch) = (input, output, context.scratch)
        weights.withUnsafeBufferPointer { weights in
            nonisolated(unsafe) let weights = weights
            context.parallelism.forEachSlice(of: g.batch * g.groups * tiles) { worker, items in
                let column = scratch.baseAddress! + worker * columns
                for item in items {
                    let (unit, tileIndex) = item.quotientAndRemainder(dividingBy: tiles)
                    let (example, group) = unit.quotientAndRemainder(dividingBy: g.groups)
                    let start = tileIndex * tile, count = min(tile, positions - start)
                    let source = input.baseAddress! + (example * g.inputChannels + group * g.inputChannelsPerGroup) * g.inputPositions
                    let target = output.baseAddress! + (example * g.outputChannels + group * outputsPerGroup) * positions + start
                    let matrix: UnsafePointer<Float>
                    let leading: Int
                    if g.isPointwise {
                        (matrix, leading) = (UnsafePointer(source + start), positions)
                    } else {
                        gatherColumns(from: source, positions: start..<(start + count), into: column)
                        (matrix, leading) = (UnsafePointer(column), count)
                    }
                    matrixMultiply(
                        m: outputsPerGroup, n: count, k: rows,
                        weights.baseAddress! + group * outputsPerGroup * rows, lda: rows,
                        matrix, ldb: leading, beta: accumulate ? 1 : 0, target, ldc: positions)
                }
            }
        }
    }

    /// `inputGradient += Wᵀ ⋆ outputGradient` by `cblas_sgemm` into im2col blocks and col2im.
    func applyScattered(
        _ outputGradient: UnsafeBufferPointer<Float>, addingInto inputGradient: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let g = geometry
        let rows = g.patchLength, positions = g.outputPositions, outputsPerGroup = g.outputChannelsPerGroup
        let tile = tile(for: context.parallelism), columns = columnCount
        let tiles = (positions + tile - 1) / tile
        let privateGradients = adjointNeedsPrivateGradients(context.parallelism)
        nonisolated(unsafe) let privateBase = context.scratch.baseAddress! + context.parallelism.threads * columns
        if privateGradients {
            privateBase.update(repeating: 0, count: (context.parallelism.threads - 1) * inputCount)
        }
        // Without private copies, split by whole (example, group) units unless tiles write disjoint columns.
        let unitsOnly = !g.isPointwise && !privateGradients
        let itemCount = unitsOnly ? g.batch * g.groups : g.batch * g.groups * tiles
        nonisolated(unsafe) let (outputGradient, inputGradient, scratch) = (outputGradient, inputGradient, context.scratch)
        let inputCount = inputCount
        weights.withUnsafeBufferPointer { weights in
            nonisolated(unsafe) let weights = weights
            context.parallelism.forEachSlice(of: itemCount) { worker, items in
                let column = scratch.baseAddress! + worker * columns
                let gradient = privateGradients && worker > 0 ? privateBase + (worker - 1) * inputCount : inputGradient.baseAddress!
                for item in items {
                    let tileRange = unitsOnly ? 0..<tiles : (item % tiles)..<(item % tiles + 1)
                    let unit = unitsOnly ? item : item / tiles
                    let (example, group) = unit.quotientAndRemainder(dividingBy: g.groups)
                    let target = gradient + (example * g.inputChannels + group * g.inputChannelsPerGroup) * g.inputPositions
                    let groupWeights = weights.baseAddress! + group * outputsPerGroup * rows
                    for tileIndex in tileRange {
                        let start = tileIndex * tile, count = min(tile, positions - start)
                        let source = outputGradient.baseAddress! + (example * g.outputChannels + group * outputsPerGroup) * positions + start
                        if g.isPointwise {
                            matrixMultiply(
                                transposeA: true, m: rows, n: count, k: outputsPerGroup, groupWeights, lda: rows,
                                source, ldb: positions, beta: 1, target + start, ldc: positions)
                        } else {
                            matrixMultiply(
                                transposeA: true, m: rows, n: count, k: outputsPerGroup, groupWeights, lda: rows,
                                source, ldb: positions, beta: 0, column, ldc: count)
                            scatterColumns(column, positions: start..<(start + count), addingInto: target)
                        }
                    }
                }
            }
        }
        if privateGradients {
            for worker in 1..<min(context.parallelism.threads, itemCount) {
                let copy = privateBase + (worker - 1) * inputCount
                for index in 0..<inputCount { inputGradient[index] += copy[index] }
            }
        }
    }

    /// Writes the im2col block of one group's input for output `positions` into `column`
    /// (`patchLength` rows of `positions.count`).
    private func gatherColumns(from source: UnsafePointer<Float>, positions: Range<Int>, into column: UnsafeMutablePointer<Float>) {
        let g = geometry
        let count = positions.count, step = g.volume.stride.w
        for channel in 0..<g.inputChannelsPerGroup {
            let plane = source + channel * g.inputPositions
            for tap in 0..<g.taps {
                let row = column + (channel * g.taps + tap) * count
                var filled = 0  // Positions before `filled` are written; padding gaps get zeros.
                g.forEachRun(tap: tap, positions: positions) { outputOffset, inputOffset, runLength in
                    (row + filled).update(repeating: 0, count: outputOffset - filled)
                    let (target, source) = (row + outputOffset, plane + inputOffset)
                    if step == 1 {
                        target.update(from: source, count: runLength)
                    } else {
                        for j in 0..<runLength { target[j] = source[j &* step] }
                    }
                    filled = outputOffset + runLength
                }
                (row + filled).update(repeating: 0, count: count - filled)
            }
        }
    }

    /// Adds an im2col-shaped block back onto one group's input (col2im).
    private func scatterColumns(_ column: UnsafePointer<Float>, positions: Range<Int>, addingInto target: UnsafeMutablePointer<Float>) {
        let g = geometry
        let count = positions.count, step = g.volume.stride.w
        for channel in 0..<g.inputChannelsPerGroup {
            let plane = target + channel * g.inputPositions
            for tap in 0..<g.taps {
                let row = column + (channel * g.taps + tap) * count
                g.forEachRun(tap: tap, positions: positions) { outputOffset, inputOffset, runLength in
                    let (target, source) = (plane + inputOffset, row + outputOffset)
                    if step == 1 {
                        for j in 0..<runLength { target[j] += source[j] }
                    } else {
                        for j in 0..<runLength { target[j &* step] += source[j] }
                    }
                }
            }
        }
    }
}
