import Foundation
import Testing

@testable import Rendering

@Suite struct RenderingTests {
    @Test("a raster survives a PNG round trip through libpng")
    func pngRoundTrip() throws {
        var raster = Raster(width: 20, height: 10)
        raster.fill(x: 5, y: 2, width: 4, height: 3, .black)
        let png = PNGCodec.encode(raster)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let grey = try PNGCodec.decodeGrey(png, name: "x.png")
        #expect(grey.width == 20 && grey.height == 10)
        #expect(grey.values[2 * 20 + 5] == 0 && grey.values[0] == 1)
        #expect(throws: PNGError.self) { try PNGCodec.decodeGrey(Data("nope".utf8), name: "bad.png") }
    }

    @Test("noise, which no compression shrinks, fits the one-pass PNG buffer and decodes to its bytes")
    func incompressibleRoundTrip() throws {
        var raster = Raster(width: 333, height: 211, background: Color(10, 200, 30))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for y in 0..<raster.height {
            for x in 0..<raster.width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let v = UInt8(truncatingIfNeeded: state >> 56)
                raster.fill(x: x, y: y, width: 1, height: 1, Color(v, v, v))
            }
        }
        let grey = try PNGCodec.decodeGrey(PNGCodec.encode(raster), name: "noise.png")
        #expect(grey.width == 333 && grey.height == 211)
        #expect(zip(grey.values, stride(from: 0, to: raster.pixels.count, by: 3)).allSatisfy { $0 == Float(raster.pixels[$1]) / 255 })
    }

    @Test("fills are clipped to the image, empty or outside rectangles change nothing, backgrounds of any colour")
    func fillsAreClipped() {
        var raster = Raster(width: 6, height: 4, background: Color(1, 2, 3))
        #expect(raster.color(x: 5, y: 3) == Color(1, 2, 3))
        let before = raster.pixels
        raster.fill(x: -5, y: 1, width: 3, height: 2, .black)
        raster.fill(x: 7, y: 0, width: 3, height: 2, .black)
        raster.fill(x: 2, y: 2, width: -1, height: 2, .black)
        raster.fill(x: 2, y: 2, width: 2, height: 0, .black)
        #expect(raster.pixels == before)
        raster.fill(x: 4, y: -1, width: 10, height: 3, .white)
        #expect(raster.color(x: 4, y: 0) == .white && raster.color(x: 5, y: 1) == .white)
        #expect(raster.color(x: 3, y: 0) == Color(1, 2, 3) && raster.color(x: 4, y: 2) == Color(1, 2, 3))
        raster.blend(x: 0, y: 0, .white, coverage: 0.5)
        #expect(raster.color(x: 0, y: 0) == Color(128, 129, 129))
    }

    @Test("text leaves ink where the glyphs are and nowhere else")
    func text() {
        var raster = Raster(width: 40, height: 20)
        raster.text("Hz", x: 2, y: 2)
        let inked = (0..<20).flatMap { y in (0..<40).map { x in raster.color(x: x, y: y) } }.filter { $0 != .white }.count
        #expect(inked > 20)
        #expect(raster.color(x: 35, y: 18) == .white)
    }

    @Test("viridis runs from dark blue to yellow")
    func colorMap() {
        let low = ColorMap.viridis(0), high = ColorMap.viridis(1)
        #expect(low.blue > low.red && low.red < 90)
        #expect(high.red > 200 && high.green > 200 && high.blue < 80)
    }

    @Test("the audio plot draws the heat map rows in the colours of their values")
    func audioPlot() {
        let plot = AudioPlot(
            title: "piano", subtitle: "intgrad", sampleRate: 100, input: (0..<100).map { sin(Float($0) / 5) },
            interpretation: nil,
            rows: [.init(label: "D1", values: [0, 0, 1, 0]), .init(label: "A1", values: [0, 0, 0, 0])])
        let raster = plot.render(width: 400)
        // Plot area starts at x = 150; the first row sits just under the waveform panel.
        let y = 46 + 110 + 12 + 5
        #expect(raster.color(x: 150 + 170 * 2 / 4 + 10, y: y) == ColorMap.viridis(1))
        #expect(raster.color(x: 152, y: y) == ColorMap.viridis(0))
        #expect(AudioPlot.niceStep(0.125) == 0.2 && AudioPlot.niceStep(0.09) == 0.1)
    }

    @Test("waveforms holding NaN, infinities or huge peaks render within their panel instead of trapping")
    func nonFiniteWaveform() {
        var input = (0..<200).map { sin(Float($0) / 5) }
        (input[3], input[50], input[51]) = (.nan, .infinity, -.infinity)
        let plot = AudioPlot(
            title: "odd", subtitle: "", sampleRate: 100, input: input, interpretation: input.map { $0 * 3e38 },
            rows: [.init(label: "D1", values: [.nan, 1, .infinity, 0])])
        let raster = plot.render(width: 400)
        #expect(raster.width == 400)
        #expect(AudioPlot.clamped(.nan) == 0 && AudioPlot.clamped(-.infinity) == -1 && AudioPlot.clamped(0.25) == 0.25)
    }
}
