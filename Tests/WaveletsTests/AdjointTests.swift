import NDArray
import NumericTestSupport
import Testing

@testable import Wavelets

/// `reconstructionAdjoint` is the exact transpose of `reconstruct`:
/// `<W^-1 z, y> == <z, (W^-1)^T y>` for random `z`, `y` (METHOD.md section 1).
@Suite struct AdjointTests {
    func check(
        wavelet: Wavelet, mode: ExtensionMode, shape: [Int], axes: [Int]? = nil, levels: Int? = nil,
        seed: UInt64
    ) throws {
        var numbers = SplitMix64(seed: seed)
        let extents = (axes ?? Array(shape.indices)).map { shape[$0 < 0 ? $0 + shape.count : $0] }
        let deepest = max(WaveletTransform.maxLevel(lengths: extents, filterLength: wavelet.filterLength), 1)
        let transform = try WaveletTransform(
            wavelet: wavelet, mode: mode, signalShape: shape, levels: levels ?? deepest,
            axes: axes)
        let z: [Double] = numbers.values(transform.layout.count)
        let y: [Double] = numbers.values(shape.reduce(1, *))
        let left = dot(transform.reconstruct(values: z), y)
        let right = dot(z, transform.reconstructionAdjoint(values: y))
        let scale = max(abs(left), abs(right), 1e-300)
        #expect(
            abs(left - right) / scale <= 1e-9,
            "\(wavelet.name) \(mode) shape=\(shape) axes=\(String(describing: axes)): <W^-1 z, y>=\(left), <z, W^-T y>=\(right)")
    }

    @Test("1D: every wavelet, every mode, odd and even lengths, single and multilevel", arguments: Wavelet.all)
    func oneDimensional(wavelet: Wavelet) throws {
        for mode in ExtensionMode.allCases {
            for length in [2, 3, 8, 33, 100, 257] {
                let top = max(WaveletTransform.maxLevel(lengths: [length], filterLength: wavelet.filterLength), 1)
                for level in Set([1, top]).sorted() {
                    try check(wavelet: wavelet, mode: mode, shape: [length], levels: level, seed: UInt64(length * 31 + level))
                }
            }
        }
    }

    /// One wavelet of every family (and the longest filters) in 2D and 3D.
    static let representatives = ["haar", "db5", "sym6", "coif3", "bior2.4", "rbio3.7", "dmey", "db38"]

    @Test(
        "2D and 3D: one wavelet per family, every mode, odd and even sizes, axis subsets",
        arguments: representatives)
    func multidimensional(name: String) throws {
        let wavelet = try Wavelet(name)
        for mode in ExtensionMode.allCases {
            try check(wavelet: wavelet, mode: mode, shape: [16, 16], seed: 1)
            try check(wavelet: wavelet, mode: mode, shape: [9, 14], seed: 2)
            try check(wavelet: wavelet, mode: mode, shape: [5, 8, 7], seed: 3)
            try check(wavelet: wavelet, mode: mode, shape: [6, 5, 9], axes: [2, 0], seed: 4)
            try check(wavelet: wavelet, mode: mode, shape: [3, 40], axes: [-1], seed: 5)
        }
    }

    @Test("for a biorthogonal wavelet the adjoint of synthesis is not the analysis")
    func biorthogonalAdjointDiffersFromAnalysis() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("bior2.2"), mode: .periodization, signalShape: [64], levels: 3)
        var numbers = SplitMix64(seed: 9)
        let y: [Double] = numbers.values(64)
        let adjoint = transform.reconstructionAdjoint(values: y)
        let analysis = transform.decompose(values: y)
        #expect(rmsDifference(adjoint, analysis) > 1e-3)
        let orthogonal = try WaveletTransform(wavelet: try Wavelet("db3"), mode: .periodization, signalShape: [64], levels: 3)
        #expect(rmsDifference(orthogonal.reconstructionAdjoint(values: y), orthogonal.decompose(values: y)) < 1e-12)
    }
}
