/// Cross-correlation of an input with a bank of weights (ONNX `Conv` without bias) and its
/// adjoint (the input gradient, which is also `ConvTranspose`'s forward pass), by one of five
/// strategies chosen from the geometry:
///
/// - pointwise (1x1, stride 1, no padding): one `cblas_sgemm` per example and group;
/// - depthwise (one input channel per group): direct loops over the kernel taps;
/// - shifted taps (1D, stride 1): one `cblas_sgemm` per tap on a shifted view of the input, no
///   im2col copy;
/// - polyphase (1D, stride below the kernel length): shifted taps over the input's phases;
/// - im2col: `cblas_sgemm` on im2col blocks, in tiles of output positions whose block stays in
///   cache (and col2im for the adjoint).
///
/// Tiles (or examples and groups) of large calls are spread over the context's threads.
struct Correlation: Sendable {
    /// How the correlation is computed.
    enum Strategy: Equatable {
        case pointwise, depthwise, shiftedTaps, polyphase, im2col
    }

    let geometry: ConvolutionGeometry
    /// `[M, C/groups, taps]`, row-major.
    let weights: [Float]
    let strategy: Strategy
    /// Output positions per im2col tile (fewer when threads need more tiles).
    let largestTile: Int
    /// For shifted taps: `[taps, M, C/groups]`, one weight matrix per tap; for polyphase, see
    /// `phaseWeights`.
    let tapWeights: [Float]

    /// Elements of one im2col tile (about 256 KiB of `Float`s).
    private static let tileElements = 1 << 16
    /// Multiply-adds below which a call stays on one thread: waking a second thread and splitting
    /// the matrix products costs more than it saves (measured on 12-MFLOP 1D convolutions).
    private static let parallelWork = 1 << 24

    init(geometry: ConvolutionGeometry, weights: [Float]) {
        self.geometry = geometry
        self.weights = weights
        let g = geometry
        if g.isPointwise {
            strategy = .pointwise
        } else if g.inputChannelsPerGroup == 1 && g.groups > 1 {
            strategy = .depthwise
        } else if g.kernelSize.count == 1 && g.strides == [1] {
            strategy = .shiftedTaps
        } else if Self.suitsPolyphase(g) {
            strategy = .polyphase
        } else {
            strategy = .im2col
        }
        largestTile = max(1, min(g.outputPositions, max(16, Self.tileElements / max(1, g.patchLength) / 16 * 16)))
        var tapWeights: [Float] = []
        if strategy == .shiftedTaps {
            let (channels, taps) = (g.inputChannelsPerGroup, g.taps)
            tapWeights = [Float](repeating: 0, count: weights.count)
            for m in 0..<g.outputChannels {
                for c in 0..<channels {
                    for tap in 0..<taps { tapWeights[(tap * g.outputChannels + m) * channels + c] = weights[(m * channels + c) * taps + tap] }
                }
            }
        }
        self.tapWeights = strategy == .polyphase ? Self.phaseWeights(weights, geometry: g) : tapWeights
    }

    /// The adjoint as a correlation of its own, when the stride is 1 everywhere: the output
    /// gradient correlated with the kernel flipped in space and transposed in channels, padded
    /// so that the result has the input's size. It gathers and multiplies instead of scattering.
    var adjointCorrelation: Correlation? {
        let g = geometry
        let spans = zip(g.dilations, g.kernelSize).map { $0 * ($1 - 1) }
        let padsBegin = zip(spans, g.padsBegin).map { $0 - $1 }, padsEnd = zip(spans, g.padsEnd).map { $0 - $1 }
        guard g.strides.allSatisfy({ $0 == 1 }), (padsBegin + padsEnd).allSatisfy({ $0 >= 0 }),
            let adjoint = try? ConvolutionGeometry(
                inputShape: g.outputShape, outputChannels: g.inputChannels, kernelSize: g.kernelSize,
                groups: g.groups, strides: g.strides, dilations: g.dilations,
                padsBegin: padsBegin, padsEnd: padsEnd),
            adjoint.outputShape == g.inputShape
        else { return nil }
        // flipped[g][c][m][tap'] = weights[g][m][c][taps - 1 - tap'] within each group.
        let (inputs, outputs, taps) = (g.inputChannelsPerGroup, g.outputChannelsPerGroup, g.taps)
        var flipped = [Float](repeating: 0, count: weights.count)
        for group in 0..<g.groups {
            for m in 0..<outputs {
                for c in 0..<inputs {
                    for tap in 0..<taps {
                        let source = ((group * outputs + m) * inputs + c) * taps + tap
                        flipped[((group * inputs + c) * outputs + m) * taps + (taps - 1 - tap)] = weights[source]
                    }
                }
            }
        }
        return Correlation(geometry: adjoint, weights: flipped)
    }

    // MARK: - Dispatch

    /// Scratch elements `apply` needs with `parallelism`.
    func applyScratchCount(for parallelism: Parallelism) -> Int {
        switch strategy {
        case .im2col: effective(parallelism).threads * columnCount
        case .polyphase: effective(parallelism).threads * phaseCount
        case .pointwise, .depthwise, .shiftedTaps: 0
        }
    }

    /// Scratch elements `applyAdjoint` needs with `parallelism`.
    func adjointScratchCount(for parallelism: Parallelism) -> Int {
        switch strategy {
        case .pointwise, .depthwise: return 0
        case .polyphase: return effective(parallelism).threads * phaseCount
        case .shiftedTaps, .im2col:
            let parallelism = effective(parallelism)
            let privateGradients = adjointNeedsPrivateGradients(parallelism) ? (parallelism.threads - 1) * inputCount : 0
            return parallelism.threads * columnCount + privateGradients
        }
    }

    /// `output = W ⋆ input` (or `output += W ⋆ input` when `accumulate`).
    func apply(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
        context: OperationContext
    ) {
        let context = OperationContext(scratch: context.scratch, parallelism: effective(context.parallelism))
        switch strategy {
        case .depthwise: applyDirect(input, into: output, accumulate: accumulate, context: context)
        case .shiftedTaps: applyShiftedTaps(input, into: output, accumulate: accumulate, context: context)
        case .polyphase: applyPolyphase(input, into: output, accumulate: accumulate, context: context)
        case .pointwise, .im2col: applyGathered(input, into: output, accumulate: accumulate, context: context)
        }
    }

    /// `inputGradient += Wᵀ ⋆ outputGradient`, the adjoint of `apply`.
    func applyAdjoint(
        _ outputGradient: UnsafeBufferPointer<Float>, addingInto inputGradient: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let context = OperationContext(scratch: context.scratch, parallelism: effective(context.parallelism))
        switch strategy {
        case .depthwise: applyDirectAdjoint(outputGradient, addingInto: inputGradient, context: context)
        case .polyphase: applyPolyphaseAdjoint(outputGradient, addingInto: inputGradient, context: context)
        case .pointwise, .shiftedTaps, .im2col: applyScattered(outputGradient, addingInto: inputGradient, context: context)
        }
    }

    // MARK: - Threads and tiles

    /// The threads worth using: all of `parallelism` for large calls, one for small ones.
    private func effective(_ parallelism: Parallelism) -> Parallelism {
        let g = geometry
        let work = g.batch * g.outputChannels * g.patchLength * g.outputPositions
        return work >= Self.parallelWork ? parallelism : .serial
    }

    /// Output positions per tile when running with `parallelism`: smaller tiles when one example
    /// and group must feed several threads.
    func tile(for parallelism: Parallelism) -> Int {
        let units = geometry.batch * geometry.groups
        guard parallelism.threads > 1, units < parallelism.threads else { return largestTile }
        let share = (geometry.outputPositions + parallelism.threads - 1) / parallelism.threads
        return max(1, min(largestTile, (share + 15) / 16 * 16))
    }

    /// Elements of one im2col tile.
    var columnCount: Int { geometry.isPointwise ? 0 : geometry.patchLength * largestTile }
    var inputCount: Int { elementCount(geometry.inputShape) }

    /// Whether the adjoint's tiles of one example and group can run on separate threads only by
    /// summing private copies of the input gradient.
    func adjointNeedsPrivateGradients(_ parallelism: Parallelism) -> Bool {
        !geometry.isPointwise && parallelism.threads > 1 && geometry.batch * geometry.groups < parallelism.threads
    }
}
