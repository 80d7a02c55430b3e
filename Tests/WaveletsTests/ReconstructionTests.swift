import NDArray
import NumericTestSupport
import Testing

@testable import Wavelets

/// `reconstruct(decompose(x)) == x` for every wavelet that has perfect reconstruction (all but
/// `dmey`, an FIR approximation of the Meyer wavelet), to PyWavelets' own bars (RMS < 5e-11 in
/// Float64, < 6e-7 in Float32) scaled by how much larger the coefficients are than the signal
/// (the `smooth` and `antireflect` extensions grow them at deep levels).
@Suite struct ReconstructionTests {
    static let lengths = [1, 2, 3, 7, 8, 33, 64, 101, 1000]

    func roundTrip<T: WaveletScalar>(_ type: T.Type, wavelet: Wavelet, bar: Double) throws {
        var numbers = SplitMix64(seed: 7)
        for mode in ExtensionMode.allCases {
            for length in Self.lengths where !(length == 1 && (mode == .reflect || mode == .antireflect)) {
                let top = max(WaveletTransform.maxLevel(lengths: [length], filterLength: wavelet.filterLength), 1)
                for level in Set([1, top]).sorted() {
                    let signal: [T] = numbers.values(length)
                    let transform = try WaveletTransform(wavelet: wavelet, mode: mode, signalShape: [length], levels: level)
                    let coefficients = transform.decompose(values: signal)
                    let rebuilt = transform.reconstruct(values: coefficients)
                    let growth = max(1, Double(coefficients.map(abs).max()!) / Double(signal.map(abs).max()!))
                    let rms = rmsDifference(rebuilt, signal)
                    #expect(rms < bar * growth, "\(wavelet.name) \(mode) n=\(length) level=\(level) \(T.self): RMS \(rms)")
                }
            }
        }
    }

    static let perfect = Wavelet.all.filter { $0.name != "dmey" }

    @Test("1D perfect reconstruction, Float64", arguments: perfect)
    func float64(wavelet: Wavelet) throws { try roundTrip(Double.self, wavelet: wavelet, bar: 5e-11) }

    @Test("1D perfect reconstruction, Float32", arguments: perfect)
    func float32(wavelet: Wavelet) throws { try roundTrip(Float.self, wavelet: wavelet, bar: 6e-7) }

    @Test(
        "2D and 3D perfect reconstruction, odd and even shapes, axis subsets",
        arguments: ["haar", "db3", "sym4", "coif2", "bior3.5", "rbio1.3"])
    func multidimensional(name: String) throws {
        let wavelet = try Wavelet(name)
        var numbers = SplitMix64(seed: 11)
        let cases: [([Int], [Int]?)] = [([16, 16], nil), ([13, 22], nil), ([7, 5, 9], nil), ([10, 11, 12], [0, 2]), ([4, 31], [-1])]
        for (shape, axes) in cases {
            for mode in ExtensionMode.allCases {
                let transform = try WaveletTransform(wavelet: wavelet, mode: mode, signalShape: shape, axes: axes)
                let signal: [Double] = numbers.values(shape.reduce(1, *))
                let rebuilt = transform.reconstruct(values: transform.decompose(values: signal))
                let growth = max(1, transform.decompose(values: signal).map(abs).max()! / signal.map(abs).max()!)
                #expect(rmsDifference(rebuilt, signal) < 5e-11 * growth, "\(name) \(mode) \(shape) axes=\(String(describing: axes))")
                let single = signal.map { Float($0) }
                #expect(rmsDifference(transform.reconstruct(values: transform.decompose(values: single)), single) < 6e-7 * growth)
            }
        }
    }

    @Test("level 0 is the identity, as in pywt")
    func levelZero() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("db2"), mode: .symmetric, signalShape: [5], levels: 0)
        #expect(transform.layout.bands.count == 1)
        #expect(transform.decompose(values: [1.0, 2, 3, 4, 5]) == [1, 2, 3, 4, 5])
        #expect(transform.reconstruct(values: [1.0, 2, 3, 4, 5]) == [1, 2, 3, 4, 5])
    }
}
