import ArrayIO
import Foundation
import NDArray
import NumericTestSupport
import Testing

@testable import Wavelets

/// Coefficients, band lengths and reconstructions agree with PyWavelets
/// (`Tools/make_wavelet_fixtures.py`).
@Suite struct PyWaveletsParityTests {
    /// One 1D case of the fixture: a signal length, a level and the reference slices.
    struct Case {
        let mode: ExtensionMode
        let length: Int
        let level: Int
        let bandLengths: [Int]
        /// Full coefficient vector (lengths up to 101), or three sketches per band (length 1000).
        let reference: ArraySlice<Double>
        let isSketch: Bool
    }

    static func cases(for name: String) -> [Case] {
        let table = Reference.wavedec1d
        let rows = table["\(name)_cases"]!.asIntegers!
        let bands = table["\(name)_bands"]!.asIntegers!
        let full = table[name]!.asDouble.storage
        let sketches = table["\(name)_sketch"]!.asDouble.storage
        var result: [Case] = []
        var bandCursor = 0, fullCursor = 0, sketchCursor = 0
        for mode in ExtensionMode.allCases {
            for row in stride(from: 0, to: rows.count, by: 2) {
                let (length, level) = (rows[row], rows[row + 1])
                if length == 1 && (mode == .reflect || mode == .antireflect) { continue }
                let lengths = Array(bands[bandCursor..<(bandCursor + level + 1)])
                bandCursor += level + 1
                let isSketch = length == 1000
                let count = isSketch ? 3 * lengths.count : lengths.reduce(0, +)
                let reference = isSketch ? sketches[sketchCursor..<(sketchCursor + count)] : full[fullCursor..<(fullCursor + count)]
                if isSketch { sketchCursor += count } else { fullCursor += count }
                result.append(
                    Case(
                        mode: mode, length: length, level: level, bandLengths: lengths,
                        reference: reference, isSketch: isSketch))
            }
        }
        #expect(
            bandCursor == bands.count && fullCursor == full.count && sketchCursor == sketches.count,
            "fixture for \(name) not consumed exactly: the case order differs from the script's")
        return result
    }

    /// `sketch_k = sum_i c[i] cos(0.7 k i + 0.3 k)` per band, with the bound `count * max |c|`
    /// (largest coefficient of the whole case) that turns the per-coefficient relative tolerance
    /// of the full-vector cases into one on the sketch.
    static func sketches<T: BinaryFloatingPoint>(_ values: [T], layout: CoefficientLayout) -> [(value: Double, bound: Double)] {
        let largest = values.reduce(0.0) { max($0, abs(Double($1))) }
        return layout.bands.flatMap { band in
            (1...3).map { k -> (Double, Double) in
                var sum = 0.0
                for (i, c) in values[band.range].enumerated() {
                    sum += Double(c) * cos(0.7 * Double(k) * Double(i) + 0.3 * Double(k))
                }
                return (sum, largest * Double(band.count))
            }
        }
    }

    func check<T: WaveletScalar>(_ type: T.Type, wavelet: Wavelet, tolerance: Double) throws {
        let signal = Reference.wavedec1d["signal"]!.asDouble.storage.map { T($0) }
        for c in Self.cases(for: wavelet.name) {
            let transform = try WaveletTransform(wavelet: wavelet, mode: c.mode, signalShape: [c.length], levels: c.level)
            let label = "\(wavelet.name) \(c.mode) n=\(c.length) level=\(c.level) \(T.self)"
            #expect(transform.layout.bands.map(\.count) == c.bandLengths, "band lengths differ from pywt: \(label)")
            let coefficients = transform.decompose(values: Array(signal[0..<c.length]))
            if c.isSketch {
                for ((value, bound), expected) in zip(Self.sketches(coefficients, layout: transform.layout), c.reference) {
                    #expect(abs(value - expected) <= tolerance * max(bound, 1), "sketch differs: \(label)")
                }
            } else {
                let error = relativeError(coefficients[...], c.reference)
                #expect(error <= tolerance, "coefficients differ by \(error): \(label)")
            }
        }
    }

    @Test(
        "wavedec: every wavelet x every mode x lengths 1...1000, Float64 to 1e-10",
        arguments: Wavelet.all)
    func decompositionFloat64(wavelet: Wavelet) throws {
        try check(Double.self, wavelet: wavelet, tolerance: 1e-10)
    }

    @Test(
        "wavedec: every wavelet x every mode x lengths 1...1000, Float32 to 1e-5",
        arguments: Wavelet.all)
    func decompositionFloat32(wavelet: Wavelet) throws {
        try check(Float.self, wavelet: wavelet, tolerance: 1e-5)
    }

    @Test(
        "waverec of arbitrary coefficients matches pywt (both synthesis behaviours)",
        arguments: Wavelet.all)
    func synthesis(wavelet: Wavelet) throws {
        for mode in [ExtensionMode.symmetric, .periodization] {
            let reference = Reference.waverec1d["\(wavelet.name)_\(mode.rawValue)"]!.asDouble.storage
            var cursor = 0
            for length in [33, 101] {
                let top = max(WaveletTransform.maxLevel(lengths: [length], filterLength: wavelet.filterLength), 1)
                let transform = try WaveletTransform(wavelet: wavelet, mode: mode, signalShape: [length], levels: top)
                let coefficients = (0..<transform.layout.count).map { sin(0.37 * Double($0) + 1.1) }
                let signal = transform.reconstruct(values: coefficients)
                let error = relativeError(signal[...], reference[cursor..<(cursor + length)])
                #expect(error <= 1e-10, "\(wavelet.name) \(mode) n=\(length): waverec differs by \(error)")
                let single = transform.reconstruct(values: coefficients.map { Float($0) })
                #expect(relativeError(single[...], reference[cursor..<(cursor + length)]) <= 1e-5)
                cursor += length
            }
        }
    }

    static let ndWavelets = ["haar", "db2", "sym3", "coif1", "bior1.3", "rbio2.2", "db4"]
    static let ndCases = Array(0..<7)

    @Test(
        "wavedecn: 2D and 3D, all modes, square/non-square/odd shapes, axis subsets",
        arguments: ndCases, ndWavelets)
    func decompositionND(index: Int, name: String) throws {
        let table = Reference.wavedecn
        let wavelet = try Wavelet(name)
        let input = table["case\(index)_input"]!.asDouble
        let axes = table["case\(index)_axes"]!.asIntegers!
        let levels = table["case\(index)_\(name)_levels"]!.asIntegers!
        let reference = table["case\(index)_\(name)"]!.asDouble.storage
        let shapes = table["case\(index)_\(name)_shapes"]!.asIntegers!
        let rank = input.rank
        var cursor = 0, shapeCursor = 0
        for mode in ExtensionMode.allCases {
            for level in levels {
                let transform = try WaveletTransform(
                    wavelet: wavelet, mode: mode, signalShape: input.shape,
                    levels: level, axes: axes)
                let label = "\(name) \(mode) shape=\(input.shape) axes=\(axes) level=\(level)"
                let expectedShapes = (0..<transform.layout.bands.count).map {
                    Array(shapes[(shapeCursor + $0 * rank)..<(shapeCursor + ($0 + 1) * rank)])
                }
                shapeCursor += expectedShapes.count * rank
                #expect(transform.layout.bands.map(\.shape) == expectedShapes, "band shapes differ: \(label)")
                let expected = reference[cursor..<(cursor + transform.layout.count)]
                cursor += transform.layout.count
                let double = try transform.decompose(input)
                #expect(relativeError(double.values[...], expected) <= 1e-10, "Float64 coefficients differ: \(label)")
                let single = try transform.decompose(input.map { Float($0) })
                #expect(relativeError(single.values[...], expected) <= 1e-5, "Float32 coefficients differ: \(label)")
            }
        }
        #expect(cursor == reference.count)
    }
}
