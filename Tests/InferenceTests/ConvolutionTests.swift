import Inference
import NDArray
import NumericTestSupport
import Testing

/// `Convolution` against a direct double-precision loop, and its backward pass against the
/// adjoint identity <conv(x), y> = <x, conv*(y)>, over many geometries and every strategy
/// (pointwise, depthwise, shifted taps, polyphase, im2col), with one and two threads.
struct ConvolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let input: [Int], weights: [Int], groups: Int, strides: [Int], dilations: [Int], padsBegin: [Int], padsEnd: [Int]
        var testDescription: String { "x\(input) w\(weights) g\(groups) s\(strides) d\(dilations) p\(padsBegin)/\(padsEnd)" }
    }

    static let cases: [Case] = [
        Case(input: [2, 3, 50], weights: [4, 3, 5], groups: 1, strides: [2], dilations: [1], padsBegin: [1], padsEnd: [3]),
        Case(input: [1, 1, 400], weights: [8, 1, 80], groups: 1, strides: [8], dilations: [1], padsBegin: [36], padsEnd: [36]),
        Case(input: [2, 4, 33], weights: [6, 2, 3], groups: 2, strides: [1], dilations: [3], padsBegin: [3], padsEnd: [0]),
        Case(input: [1, 16, 1000], weights: [16, 16, 3], groups: 1, strides: [1], dilations: [1], padsBegin: [1], padsEnd: [1]),
        Case(input: [1, 6, 40], weights: [5, 6, 1], groups: 1, strides: [1], dilations: [1], padsBegin: [0], padsEnd: [0]),
        Case(input: [1, 6, 40], weights: [5, 6, 1], groups: 1, strides: [4], dilations: [1], padsBegin: [0], padsEnd: [0]),
        // Polyphase: a kernel that is not a multiple of the stride, uneven padding, several examples.
        Case(input: [3, 5, 37], weights: [7, 5, 9], groups: 1, strides: [4], dilations: [1], padsBegin: [4], padsEnd: [4]),
        Case(input: [2, 4, 31], weights: [3, 4, 7], groups: 1, strides: [3], dilations: [1], padsBegin: [0], padsEnd: [5]),
        Case(input: [1, 2, 12], weights: [2, 2, 5], groups: 1, strides: [2], dilations: [1], padsBegin: [6], padsEnd: [0]),
        Case(input: [2, 3, 9, 11], weights: [5, 3, 3, 2], groups: 1, strides: [2, 1], dilations: [1, 2], padsBegin: [1, 0], padsEnd: [2, 1]),
        Case(input: [2, 4, 7, 9], weights: [8, 1, 3, 3], groups: 4, strides: [1, 2], dilations: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1]),
        Case(input: [1, 4, 12, 12], weights: [4, 1, 5, 5], groups: 4, strides: [1, 1], dilations: [2, 1], padsBegin: [4, 2], padsEnd: [4, 2]),
        Case(
            input: [1, 2, 5, 6, 7], weights: [3, 2, 3, 3, 2], groups: 1, strides: [1, 2, 1], dilations: [1, 1, 2], padsBegin: [1, 0, 0],
            padsEnd: [1, 1, 1]),
        Case(
            input: [1, 4, 4, 5, 6], weights: [4, 1, 2, 3, 3], groups: 4, strides: [2, 1, 2], dilations: [1, 1, 1], padsBegin: [0, 1, 1],
            padsEnd: [1, 1, 0]),
    ]

    /// Large enough (17M multiply-adds) to be split over two threads: tiles of one example, with
    /// a strided 2D kernel the scatter into private copies of the input gradient, and polyphase
    /// examples on separate threads.
    static let largeCases: [Case] = [
        Case(input: [1, 64, 1400], weights: [64, 64, 3], groups: 1, strides: [1], dilations: [1], padsBegin: [1], padsEnd: [1]),
        Case(
            input: [1, 32, 120, 120], weights: [32, 32, 3, 3], groups: 1, strides: [2, 2], dilations: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1]),
        Case(input: [3, 64, 2800], weights: [64, 64, 3], groups: 1, strides: [2], dilations: [1], padsBegin: [1], padsEnd: [1]),
    ]

    private func convolution(_ c: Case, withBias: Bool = true) throws -> (Convolution, NDArray<Float>, NDArray<Float>) {
        var random = SplitMix64(seed: UInt64(c.input.reduce(7, *)))
        let weights = random.array(c.weights)
        let bias = withBias ? random.array([c.weights[0]]) : NDArray(shape: [c.weights[0]], repeating: 0)
        let operation = try Convolution(
            inputShape: c.input, weights: weights, bias: withBias ? bias : nil, groups: c.groups,
            strides: c.strides, dilations: c.dilations, padsBegin: c.padsBegin, padsEnd: c.padsEnd)
        return (operation, weights, bias)
    }

    @Test(arguments: cases)
    func forwardMatchesDirectLoops(_ c: Case) throws {
        let (operation, weights, bias) = try convolution(c)
        var random = SplitMix64(seed: 3)
        let input = random.array(c.input)
        let expected = Self.directConvolution(input, weights: weights, bias: bias, geometry: operation.geometry)
        for threads in [1, 2] {
            let output = runForward(operation, [input], threads: threads)
            #expect(output.shape == expected.shape)
            #expect(relativeError(output, expected) < 1e-5, "threads \(threads)")
        }
    }

    @Test(arguments: cases)
    func backwardIsTheAdjoint(_ c: Case) throws {
        let (operation, _, _) = try convolution(c, withBias: false)
        var random = SplitMix64(seed: 5)
        let x = random.array(c.input)
        let y = random.array(operation.outputShape)
        let forward: Double = dot(runForward(operation, [x]), y)
        for threads in [1, 2] {
            let backward: Double = dot(x, runBackward(operation, [x], cotangent: y, threads: threads))
            let tolerance: Double = 1e-5 * Swift.max(1.0, Swift.abs(forward))
            #expect(Swift.abs(forward - backward) <= tolerance, "threads \(threads): \(forward) vs \(backward)")
        }
    }

    @Test(arguments: largeCases)
    func largeCallsSplitOverThreadsAgreeWithOneThread(_ c: Case) throws {
        let (operation, _, _) = try convolution(c)
        var random = SplitMix64(seed: 6)
        let x = random.array(c.input), y = random.array(operation.outputShape)
        #expect(relativeError(runForward(operation, [x], threads: 2), runForward(operation, [x])) < 1e-6)
        #expect(relativeError(runBackward(operation, [x], cotangent: y, threads: 2), runBackward(operation, [x], cotangent: y)) < 1e-6)
    }

    /// Strided (scatter) and stride-1 (shifted taps, some of which miss the output's ends) cases.
    @Test(arguments: [(3, [2], [1]), (1, [0], [0]), (1, [2], [1])])
    func transposedConvolutionIsTheAdjointOfConvolution(stride: Int, padsBegin: [Int], padsEnd: [Int]) throws {
        var random = SplitMix64(seed: 9)
        let weights = random.array([4, 3, 4])  // [C_in of the transposed op = M of the convolution, M/g, k]
        let convolution = try Convolution(
            inputShape: [2, 3, 23], weights: weights, bias: nil, groups: 1, strides: [stride],
            dilations: [1], padsBegin: padsBegin, padsEnd: padsEnd)
        let transposed = try TransposedConvolution(
            inputShape: convolution.outputShape, outputSize: [23], weights: weights, bias: nil,
            groups: 1, strides: [stride], dilations: [1], padsBegin: padsBegin, padsEnd: padsEnd)
        let x = random.array([2, 3, 23]), y = random.array(convolution.outputShape)
        let difference: Double = dot(runForward(convolution, [x]), y) - dot(x, runForward(transposed, [y]))
        #expect(Swift.abs(difference) < 1e-4)
        #expect(relativeError(runBackward(transposed, [y], cotangent: x), runForward(convolution, [x])) < 1e-6)
    }

    @Test func invalidGeometriesAreRejected() {
        let weights = NDArray<Float>(shape: [4, 3, 5], repeating: 1)
        #expect(throws: InferenceError.self) {  // Kernel longer than the padded input.
            try Convolution(
                inputShape: [1, 3, 3], weights: weights, bias: nil, groups: 1, strides: [1], dilations: [1], padsBegin: [0], padsEnd: [0])
        }
        #expect(throws: InferenceError.self) {  // Channels do not match the weights.
            try Convolution(
                inputShape: [1, 2, 30], weights: weights, bias: nil, groups: 1, strides: [1], dilations: [1], padsBegin: [0], padsEnd: [0])
        }
        #expect(throws: InferenceError.self) {  // Groups do not divide the channels.
            try Convolution(
                inputShape: [1, 3, 30], weights: weights, bias: nil, groups: 2, strides: [1], dilations: [1], padsBegin: [0], padsEnd: [0])
        }
        #expect(throws: InferenceError.self) {  // Zero stride.
            try Convolution(
                inputShape: [1, 3, 30], weights: weights, bias: nil, groups: 1, strides: [0], dilations: [1], padsBegin: [0], padsEnd: [0])
        }
    }

    /// The textbook definition in double precision.
    static func directConvolution(
        _ x: NDArray<Float>, weights: NDArray<Float>, bias: NDArray<Float>,
        geometry g: ConvolutionGeometry
    ) -> NDArray<Float> {
        let rank = g.kernelSize.count
        func three(_ values: [Int], _ fill: Int) -> [Int] { Array(repeating: fill, count: 3 - rank) + values }
        let (input, kernel, output) = (three(g.inputSize, 1), three(g.kernelSize, 1), three(g.outputSize, 1))
        let (stride, dilation, pad) = (three(g.strides, 1), three(g.dilations, 1), three(g.padsBegin, 0))
        let inPerGroup = g.inputChannels / g.groups, outPerGroup = g.outputChannels / g.groups
        var result: [Float] = []
        for n in 0..<g.batch {
            for m in 0..<g.outputChannels {
                for od in 0..<output[0] {
                    for oh in 0..<output[1] {
                        for ow in 0..<output[2] {
                            var sum = Double(bias.storage[m])
                            for c in 0..<inPerGroup {
                                let channel = (m / outPerGroup) * inPerGroup + c
                                for kd in 0..<kernel[0] {
                                    for kh in 0..<kernel[1] {
                                        for kw in 0..<kernel[2] {
                                            let id = od * stride[0] - pad[0] + kd * dilation[0]
                                            let ih = oh * stride[1] - pad[1] + kh * dilation[1]
                                            let iw = ow * stride[2] - pad[2] + kw * dilation[2]
                                            guard (0..<input[0]).contains(id), (0..<input[1]).contains(ih), (0..<input[2]).contains(iw) else {
                                                continue
                                            }
                                            let xi = (((n * g.inputChannels + channel) * input[0] + id) * input[1] + ih) * input[2] + iw
                                            let wi = (((m * inPerGroup + c) * kernel[0] + kd) * kernel[1] + kh) * kernel[2] + kw
                                            sum += Double(x.storage[xi]) * Double(weights.storage[wi])
                                        }
                                    }
                                }
                            }
                            result.append(Float(sum))
                        }
                    }
                }
            }
        }
        return NDArray(shape: g.outputShape, storage: result)
    }
}
