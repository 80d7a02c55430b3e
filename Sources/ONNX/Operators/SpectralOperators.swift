import Foundation
import Inference
import NDArray

/// `STFT` and `DFT` (opset 17) of real or complex signals. Both are linear maps with constant
/// bases, so `STFT` compiles to a strided convolution of the signal with the windowed cosines
/// and sines, and `DFT` to a matrix product with the transform matrix; their gradients are those
/// operations' own. Complex values are a last axis of 2 (real, imaginary), as ONNX keeps them.
enum SpectralOperators {
    static let handlers: [String: OperatorHandler] = ["STFT": stft, "DFT": dft]

    /// The weight of input part `inPart` (0 real, 1 imaginary) of sample `n` in output part
    /// `outPart` of bin `k`, for a transform of length `length`: `e^(-i 2 pi k n / N)` forward,
    /// `e^(+i 2 pi k n / N) / N` inverse.
    private static func weight(bin k: Int, sample n: Int, length: Int, inPart: Int, outPart: Int, inverse: Bool) -> Double {
        let angle = 2 * Double.pi * Double((k * n) % length) / Double(length)
        let sign = inverse ? 1.0 : -1.0
        let (cosine, sine) = (cos(angle), sign * sin(angle))
        // (a + i b)(cos + i sine) = (a cos - b sine) + i (a sine + b cos)
        let value = [[cosine, -sine], [sine, cosine]][outPart][inPart]
        return inverse ? value / Double(length) : value
    }

    /// A [batch, length, parts] signal input (parts 1 for real, 2 for complex).
    private static func signal(_ c: inout Compilation, role: String) throws -> TensorHandle {
        let x = try c.tensor(0)
        guard x.shape.count == 3, [1, 2].contains(x.shape[2]), x.shape[1] >= 1 else {
            throw c.failure("the \(role) has shape \(x.shape); expected [batch, length, 1] (real) or [batch, length, 2] (complex)")
        }
        return x
    }

    private static func stft(_ c: inout Compilation) throws -> [CompiledValue] {
        let x = try signal(&c, role: "signal")
        let (batch, length, parts) = (x.shape[0], x.shape[1], x.shape[2])
        guard let steps = try c.integers(1, role: "frame_step"), steps.count == 1, steps[0] >= 1 else {
            throw c.failure("frame_step must be one positive integer")
        }
        let step = steps[0]
        let windowTensor = try c.constant(2, role: "window")
        if let windowTensor, windowTensor.shape.count != 1 { throw c.failure("the window has shape \(windowTensor.shape); expected [frame_length]") }
        let window = windowTensor?.doubles
        let lengths = try c.integers(3, role: "frame_length")
        if let lengths, lengths.count != 1 { throw c.failure("frame_length must be one integer; it has \(lengths.count)") }
        guard let frameLength = lengths?.first ?? window?.count else { throw c.failure("needs a window or a frame_length") }
        guard (1...length).contains(frameLength) else {
            throw c.failure("frame_length \(frameLength) (or the window's length) must be in 1...\(length), the signal's length")
        }
        if let window, window.count != frameLength { throw c.failure("the window has \(window.count) samples; frame_length is \(frameLength)") }
        let onesided = try c.int("onesided", default: 1) != 0
        guard !(onesided && parts == 2) else { throw c.failure("onesided = 1 needs a real signal; this one is complex") }
        let bins = onesided ? frameLength / 2 + 1 : frameLength
        guard bins * 2 * parts * frameLength <= TensorLimits.maxElements else {
            throw c.failure("a frame of \(frameLength) samples needs a basis larger than \(TensorLimits.maxElements) values")
        }
        // Weights [bins * 2, parts, frameLength]: output channel (k, outPart), input channel inPart.
        var weights = [Float](repeating: 0, count: bins * 2 * parts * frameLength)
        for k in 0..<bins {
            for outPart in 0..<2 {
                for inPart in 0..<parts {
                    for n in 0..<frameLength {
                        let value = weight(bin: k, sample: n, length: frameLength, inPart: inPart, outPart: outPart, inverse: false)
                        weights[((k * 2 + outPart) * parts + inPart) * frameLength + n] = Float(value * (window?[n] ?? 1))
                    }
                }
            }
        }
        // [B, L, parts] -> [B, parts, L], convolved with stride `step` -> [B, bins * 2, frames].
        let channels = parts == 1 ? x.reshaped([batch, 1, length])! : try move(&c, x, IndexMaps.transpose(x.shape, permutation: [0, 2, 1]))
        let framed = try c.run(
            try Convolution(
                inputShape: channels.shape, weights: NDArray(shape: [bins * 2, parts, frameLength], storage: weights), bias: nil, groups: 1,
                strides: [step], dilations: [1], padsBegin: [0], padsEnd: [0]),
            on: [channels])
        let frames = framed.shape[2]
        // [B, bins, 2, frames] -> [B, frames, bins, 2].
        let spectrum = framed.reshaped([batch, bins, 2, frames])!
        return [.runtime(try move(&c, spectrum, IndexMaps.transpose(spectrum.shape, permutation: [0, 3, 1, 2])))]
    }

    private static func dft(_ c: inout Compilation) throws -> [CompiledValue] {
        let x = try c.tensor(0)
        let rank = x.shape.count
        guard rank >= 3, [1, 2].contains(x.shape[rank - 1]) else {
            throw c.failure("the input has shape \(x.shape); expected [..., length, 1] (real) or [..., length, 2] (complex)")
        }
        // Opset 20 moved `axis` from an attribute to input 2.
        var axis = try c.integers(2, role: "axis")?.first ?? (try c.int("axis", default: 1))
        if axis < 0 { axis += rank }
        guard axis == rank - 2 else {
            throw c.failure("axis \(axis) is not supported; only the axis before the real/imaginary one (\(rank - 2))")
        }
        let (length, parts) = (x.shape[rank - 2], x.shape[rank - 1])
        let size = try c.integers(1, role: "dft_length")?.first ?? length
        guard size == length else {
            throw c.failure("dft_length \(size) differs from the axis length \(length); padding or cropping is not supported")
        }
        let inverse = try c.int("inverse", default: 0) != 0
        let onesided = try c.int("onesided", default: 0) != 0
        guard !(onesided && (parts == 2 || inverse)) else { throw c.failure("onesided = 1 needs a real input and a forward transform") }
        let bins = onesided ? length / 2 + 1 : length
        guard length * parts * bins * 2 <= TensorLimits.maxElements else {
            throw c.failure("a transform of length \(length) needs a matrix larger than \(TensorLimits.maxElements) values")
        }
        // The matrix [(n, inPart), (k, outPart)].
        var matrix = [Float](repeating: 0, count: length * parts * bins * 2)
        for n in 0..<length {
            for inPart in 0..<parts {
                for k in 0..<bins {
                    for outPart in 0..<2 {
                        matrix[((n * parts + inPart) * bins + k) * 2 + outPart] = Float(
                            weight(bin: k, sample: n, length: length, inPart: inPart, outPart: outPart, inverse: inverse))
                    }
                }
            }
        }
        let rows = x.shape.dropLast(2).reduce(1, *)
        let flat = x.reshaped([rows, length * parts])!
        let basis = c.builder.constant(NDArray(shape: [length * parts, bins * 2], storage: matrix))
        let product = try c.run(try MatrixProduct(gemm: flat.shape, basis.shape, transposeA: false, transposeB: false, alpha: 1), on: [flat, basis])
        return [.runtime(product.reshaped(Array(x.shape.dropLast(2)) + [bins, 2])!)]
    }

    private static func move(_ c: inout Compilation, _ x: TensorHandle, _ map: IndexMaps.Map) throws -> TensorHandle {
        let name = c.node.opType
        return try c.run(try IndexMap(name: name, inputShape: x.shape, outputShape: map.shape, sources: map.sources), on: [x])
    }
}
