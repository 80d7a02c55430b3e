/// A correlation and the fastest way to run its adjoint: as a correlation of its own when the
/// stride is 1 (it gathers), by scattering otherwise. `Conv` runs it forwards and
/// `ConvTranspose` backwards.
struct CorrelationWithAdjoint: Sendable {
    private let correlation: Correlation
    /// The adjoint as a correlation, `nil` to scatter with `correlation`'s adjoint.
    private let adjointCorrelation: Correlation?

    init(geometry: ConvolutionGeometry, weights: [Float]) {
        correlation = Correlation(geometry: geometry, weights: weights)
        adjointCorrelation = correlation.adjointCorrelation
    }

    /// Scratch elements either direction needs with `parallelism`.
    func scratchCount(for parallelism: Parallelism) -> Int {
        max(
            correlation.applyScratchCount(for: parallelism),
            adjointCorrelation?.applyScratchCount(for: parallelism) ?? correlation.adjointScratchCount(for: parallelism))
    }

    /// `output = W ⋆ input`, or `output += W ⋆ input` when `accumulate`.
    func apply(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
        context: OperationContext
    ) {
        correlation.apply(input, into: output, accumulate: accumulate, context: context)
    }

    /// `output = Wᵀ ⋆ input`, or `output += Wᵀ ⋆ input` when `accumulate`.
    func applyAdjoint(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
        context: OperationContext
    ) {
        if let adjointCorrelation {
            adjointCorrelation.apply(input, into: output, accumulate: accumulate, context: context)
        } else {
            if !accumulate { output.update(repeating: 0) }
            correlation.applyAdjoint(input, addingInto: output, context: context)
        }
    }
}
