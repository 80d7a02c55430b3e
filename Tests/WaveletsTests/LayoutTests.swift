import NDArray
import NumericTestSupport
import Testing

@testable import Wavelets

@Suite struct LayoutTests {
    @Test("1D bands are named and ordered like pywt.wavedec")
    func oneDimensional() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("db2"), mode: .symmetric, signalShape: [100], levels: 3)
        let layout = transform.layout
        #expect(layout.bands.map { layout.name(of: $0) } == ["cA3", "cD3", "cD2", "cD1"])
        // floor((n + F - 1) / 2) per level: 100 -> 51 -> 27 -> 15.
        #expect(layout.bands.map(\.count) == [15, 15, 27, 51])
        #expect(layout.count == 108)
        #expect(layout.bands.map(\.offset) == [0, 15, 30, 57])
    }

    @Test("2D names follow wavedec2 (cH = 'da', cV = 'ad'); 3D names are dwtn keys")
    func names() throws {
        let image = try WaveletTransform(wavelet: try Wavelet("haar"), mode: .zero, signalShape: [8, 8], levels: 2)
        #expect(image.layout.bands.map { image.layout.name(of: $0) } == ["cA2", "cV2", "cH2", "cD2", "cV1", "cH1", "cD1"])
        #expect(image.layout.band(named: "cH1")?.key == "da")
        let volume = try WaveletTransform(wavelet: try Wavelet("haar"), mode: .zero, signalShape: [4, 4, 4], levels: 1)
        #expect(volume.layout.bands.map { volume.layout.name(of: $0) } == ["cA1", "aad1", "ada1", "add1", "daa1", "dad1", "dda1", "ddd1"])
    }

    @Test("ravel / unravel: bands cut from the flat vector and written back, band of every index")
    func flatView() throws {
        let transform = try WaveletTransform(wavelet: try Wavelet("sym3"), mode: .periodic, signalShape: [20, 24], levels: 2)
        var numbers = SplitMix64(seed: 3)
        var coefficients = try transform.decompose(NDArray(shape: [20, 24], storage: numbers.values(480) as [Double]))
        let layout = coefficients.layout
        for (position, band) in layout.bands.enumerated() {
            #expect(layout.bandIndex(containing: band.offset) == position)
            #expect(layout.bandIndex(containing: band.offset + band.count - 1) == position)
            let array = coefficients.band(band)
            #expect(array.shape == band.shape)
            #expect(array.storage == Array(coefficients.values[band.range]))
        }
        let band = layout.bands[2]
        let replacement = NDArray(shape: band.shape, repeating: 5.0)
        try coefficients.setBand(band, to: replacement)
        #expect(coefficients.band(band) == replacement)
        #expect(throws: WaveletError.self) { try coefficients.setBand(band, to: NDArray([1.0])) }
    }
}
