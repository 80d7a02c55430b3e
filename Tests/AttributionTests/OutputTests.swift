import Testing
import Wavelets

@testable import Attribution

@Suite struct OutputTests {
    @Test("scale profile: shares of |a| per level and band, with Hz bands for audio")
    func profile() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("haar"), mode: .zero, signalShape: [1, 16], levels: 2, axes: [-1])
        // Bands: cA2 (4), cD2 (4), cD1 (8).
        let attribution: [Float] = [1, 1, 0, 0, 0, 0, -2, 0] + [0, 0, 0, 4, 0, 0, 0, 0]
        let profile = ScaleProfile(attribution: attribution, layout: transform.layout, sampleRate: 16000)
        #expect(profile.levels.map(\.name) == ["A2", "D2", "D1"])
        #expect(profile.levels.map(\.importance) == [0.25, 0.25, 0.5])
        #expect(profile.levels.map(\.frequencyBand!) == [[0, 2000], [2000, 4000], [4000, 8000]])
        #expect(profile.bands.map(\.name) == ["cA2", "cD2", "cD1"])
    }

    @Test("interpretation keeps the top fraction by |a| (ties by index) or per-level peaks")
    func masks() throws {
        let mask = try Interpretation.mask(attribution: [0.1, -3, 2, 2, 0], coefficients: [1, 1, 1, 1, 1], rule: .top(fraction: 0.4), layout: nil)
        #expect(mask == [0, 1, 1, 0, 0])
        let transform = try WaveletTransform(wavelet: try Wavelet("haar"), mode: .zero, signalShape: [8], levels: 1)
        let perLevel = try Interpretation.mask(
            attribution: [1, 0.1, 0.5, 0.3, 10, 1, 2.5, 0], coefficients: [Float](repeating: 1, count: 8),
            rule: .perLevel(threshold: 0.2),
            layout: transform.layout)
        #expect(perLevel == [1, 0, 1, 1, 1, 0, 1, 0])
    }

    @Test("the evidence rule ranks |a z| averaged within each band")
    func evidence() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("haar"), mode: .zero, signalShape: [8], levels: 1)
        // Bands cA (4) and cD (4); one strong isolated value in cD and a broad bump in cA.
        let attribution: [Float] = [1, 1, 1, 0, 0, 0, 9, 0]
        let coefficients: [Float] = [1, 1, 1, 1, 1, 1, 1, 1]
        let raw = try Interpretation.mask(attribution: attribution, coefficients: coefficients, rule: .top(fraction: 0.25), layout: transform.layout)
        #expect(raw == [1, 0, 0, 0, 0, 0, 1, 0])
        let smoothed = try Interpretation.mask(
            attribution: attribution, coefficients: coefficients,
            rule: .topEvidence(fraction: 0.25, width: 3), layout: transform.layout)
        // Averages over 3: cA [1, 1, 2/3, 1/2], cD [0, 3, 3, 9/2]: cD[3] and then cD[1] (ties by index).
        #expect(smoothed == [0, 0, 0, 0, 0, 1, 0, 1])
        #expect(BandSmoothing.average([3, 0, 0, 6, 0, 0, 0, 0], layout: transform.layout, width: 3) == [1.5, 1, 2, 3, 0, 0, 0, 0])
    }

    @Test("interpretation of everything kept is the input")
    func fullInterpretation() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("db2"), mode: .symmetric, signalShape: [1, 64], levels: 3, axes: [-1])
        var numbers = SeededNumbers(seed: 1)
        let signal = numbers.signal(64)
        let z = transform.encode(signal)
        let rebuilt = try Interpretation.signal(
            coefficients: z, attribution: z, rule: .top(fraction: 1), representation: transform,
            layout: transform.layout)
        #expect(zip(rebuilt, signal).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("scalogram rows run from the finest level to the approximation and keep the peak")
    func scalogram() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("haar"), mode: .zero, signalShape: [1, 16], levels: 2, axes: [-1])
        var attribution = [Float](repeating: 0, count: 16)
        attribution[8 + 5] = -7  // cD1, coefficient 5 of 8
        let picture = try #require(Scalogram(attribution: attribution, layout: transform.layout, bins: 4))
        #expect(picture.rows == ["D1", "D2", "A2"])
        #expect(picture.values[0] == [0, 0, 7, 0])
        #expect(picture.values[1] == [0, 0, 0, 0])
    }
}

@Suite struct MosaicTests {
    @Test("the 2D mosaic places bands like pywt.coeffs_to_array")
    func layout() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("haar"), mode: .periodization, signalShape: [1, 4, 4], levels: 1, axes: [1, 2])
        // Bands (2x2 each): cA, ad (cV), da (cH), dd (cD); mark one coefficient in each.
        var attribution = [Float](repeating: 0, count: 16)
        attribution[0] = 1  // cA (0, 0)
        attribution[4 + 1] = 2  // ad (0, 1)
        attribution[8 + 2] = 3  // da (1, 0)
        attribution[12 + 3] = 4  // dd (1, 1)
        let mosaic = try #require(Mosaic.arrange(attribution: attribution, layout: transform.layout))
        #expect(mosaic.width == 4 && mosaic.height == 4)
        #expect(
            mosaic.values == [
                1, 0, 0, 1,
                0, 0, 0, 0,
                0, 0, 0, 0,
                1, 0, 0, 1,
            ])
    }
}

@Suite struct CorrelationTests {
    @Test("Pearson and Spearman on known series")
    func values() {
        #expect(abs(Correlation.pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-12)
        #expect(abs(Correlation.pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12)
        #expect(Correlation.pearson([1, 1, 1], [1, 2, 3]) == 0)
        // Monotone but not linear: Spearman 1, ties share ranks.
        #expect(abs(Correlation.spearman([1, 2, 3, 4], [1, 8, 27, 64]) - 1) < 1e-12)
        #expect(Correlation.ranks([5, 1, 5, 3]) == [2.5, 0, 2.5, 1])
    }
}
