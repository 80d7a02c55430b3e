/// A wavelet's filters rearranged for the passes, in the element type of the data.
///
/// All passes are written as correlations `out[q] = sum_m taps[m] * in[2q + m]` (analysis and
/// the synthesis adjoint) or `out[2u + r] = sum_m taps_r[m] * c[u + m]` (synthesis).
struct FilterTaps<T: WaveletScalar>: Sendable {
    /// Decomposition filters reversed (correlation form of the analysis convolution).
    let analysisLo: [T], analysisHi: [T]
    /// Reconstruction filters as they are: the correlation that is the transpose of synthesis.
    let adjointLo: [T], adjointHi: [T]
    /// Reconstruction filters split by output parity: `taps_r[m] = rec[F - 2 - 2m + r]`.
    let evenLo: [T], oddLo: [T], evenHi: [T], oddHi: [T]

    var length: Int { analysisLo.count }

    init(_ wavelet: Wavelet) {
        func cast(_ values: [Double]) -> [T] { values.map { T($0) } }
        let f = wavelet.filterLength
        analysisLo = cast(wavelet.decLo.reversed())
        analysisHi = cast(wavelet.decHi.reversed())
        adjointLo = cast(wavelet.recLo)
        adjointHi = cast(wavelet.recHi)
        func parity(_ rec: [Double], _ r: Int) -> [T] { (0..<f / 2).map { T(rec[f - 2 - 2 * $0 + r]) } }
        evenLo = parity(wavelet.recLo, 0)
        oddLo = parity(wavelet.recLo, 1)
        evenHi = parity(wavelet.recHi, 0)
        oddHi = parity(wavelet.recHi, 1)
    }
}
