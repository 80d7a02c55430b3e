import NDArray
import Testing

@testable import Wavelets

@Suite struct ValidationTests {
    @Test("unknown wavelets are refused with close suggestions")
    func unknownWavelet() {
        #expect(throws: WaveletError.unknownWavelet(name: "db39", suggestions: ["db3", "db9", "db19"])) { try Wavelet("db39") }
        do {
            _ = try Wavelet("symm4")
            Issue.record("symm4 was accepted")
        } catch {
            if case let .unknownWavelet(_, suggestions) = error {
                #expect(suggestions.first == "sym4")
                #expect(error.description.contains("did you mean sym4"))
            } else {
                Issue.record("wrong error \(error)")
            }
        }
        #expect(throws: WaveletError.self) { try Wavelet("morl") }
        #expect((try? Wavelet("DB4"))?.name == "db4")
    }

    @Test("unknown modes list the valid ones")
    func unknownMode() {
        #expect(throws: WaveletError.unknownMode(name: "mirror")) { try ExtensionMode(parsing: "mirror") }
        #expect(WaveletError.unknownMode(name: "mirror").description.contains("periodization"))
    }

    @Test("levels above dwt_max_level are refused; a single level is always allowed")
    func levels() throws {
        let db4 = try Wavelet("db4")
        #expect(WaveletTransform.maxLevel(lengths: [1000], filterLength: 10) == 6)  // pywt's docstring example (sym5)
        #expect(WaveletTransform.maxLevel(lengths: [16000], filterLength: 8) == 11)
        #expect(WaveletTransform.maxLevel(lengths: [5], filterLength: 8) == 0)
        #expect(throws: WaveletError.levelTooHigh(level: 12, maximum: 11, lengths: [16000], filterLength: 8)) {
            try WaveletTransform(wavelet: db4, mode: .symmetric, signalShape: [16000], levels: 12)
        }
        #expect(throws: WaveletError.negativeLevel(-1)) {
            try WaveletTransform(wavelet: db4, mode: .symmetric, signalShape: [100], levels: -1)
        }
        #expect(try WaveletTransform(wavelet: db4, mode: .symmetric, signalShape: [5], levels: 1).levels == 1)
        #expect(try WaveletTransform(wavelet: db4, mode: .symmetric, signalShape: [16000]).levels == 11)
        // In 2D the shortest axis decides.
        #expect(try WaveletTransform(wavelet: db4, mode: .symmetric, signalShape: [512, 64]).levels == 3)
    }

    @Test("empty, non-finite and misshapen inputs are refused")
    func badInputs() throws {
        let haar = try Wavelet("haar")
        #expect(throws: WaveletError.emptyInput(shape: [0])) {
            try WaveletTransform(wavelet: haar, mode: .zero, signalShape: [0])
        }
        #expect(throws: WaveletError.invalidAxes(axes: [], rank: 0)) {
            try WaveletTransform(wavelet: haar, mode: .zero, signalShape: [])
        }
        #expect(throws: WaveletError.invalidAxes(axes: [2], rank: 2)) {
            try WaveletTransform(wavelet: haar, mode: .zero, signalShape: [4, 4], axes: [2])
        }
        #expect(throws: WaveletError.invalidAxes(axes: [1, -1], rank: 2)) {
            try WaveletTransform(wavelet: haar, mode: .zero, signalShape: [4, 4], axes: [1, -1])
        }
        let transform = try WaveletTransform(wavelet: haar, mode: .zero, signalShape: [4])
        #expect(throws: WaveletError.nonFiniteInput(what: "signal", flatIndex: 2)) {
            try transform.decompose(NDArray<Double>([1, 2, .nan, 4]))
        }
        #expect(throws: WaveletError.nonFiniteInput(what: "signal", flatIndex: 0)) {
            try transform.decompose(NDArray<Float>([.infinity, 2, 3, 4]))
        }
        #expect(throws: WaveletError.shapeMismatch(what: "signal", expected: [4], actual: [5])) {
            try transform.decompose(NDArray<Double>([1, 2, 3, 4, 5]))
        }
        var coefficients = try transform.decompose(NDArray<Double>([1, 2, 3, 4]))
        coefficients.values[1] = .nan
        #expect(throws: WaveletError.nonFiniteInput(what: "coefficients", flatIndex: 1)) {
            try transform.reconstruct(coefficients)
        }
        #expect(throws: WaveletError.signalTooShortForMode(mode: .reflect, length: 1)) {
            try WaveletTransform(wavelet: haar, mode: .reflect, signalShape: [1], levels: 1)
        }
    }
}
