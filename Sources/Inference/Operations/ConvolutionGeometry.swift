/// The shapes of an N-dimensional (1D, 2D or 3D) grouped convolution in NC(D)(H)W layout:
/// input `[N, C, spatial...]`, weight `[M, C/groups, kernel...]`, output `[N, M, outputSize...]`.
public struct ConvolutionGeometry: Sendable, Equatable {
    /// Examples.
    public let batch: Int
    /// Input channels (all groups).
    public let inputChannels: Int
    /// Output channels (all groups).
    public let outputChannels: Int
    /// Channel groups; `groups == inputChannels` is a depthwise convolution.
    public let groups: Int
    /// Spatial extent of the input, outermost first.
    public let inputSize: [Int]
    /// Spatial extent of the kernel.
    public let kernelSize: [Int]
    /// Step between output positions, per spatial axis.
    public let strides: [Int]
    /// Step between kernel taps, per spatial axis.
    public let dilations: [Int]
    /// Implicit zeros before the input, per spatial axis.
    public let padsBegin: [Int]
    /// Implicit zeros after the input, per spatial axis.
    public let padsEnd: [Int]
    /// Spatial extent of the output.
    public let outputSize: [Int]
    /// The same geometry padded to three spatial axes, for the loops.
    let volume: Volume

    /// Validates a convolution of an input of `inputShape` and computes its output size.
    public init(
        operation: String = "Conv", inputShape: [Int], outputChannels: Int, kernelSize: [Int], groups: Int,
        strides: [Int], dilations: [Int], padsBegin: [Int], padsEnd: [Int]
    ) throws(InferenceError) {
        let rank = kernelSize.count
        guard (1...3).contains(rank), inputShape.count == rank + 2 else {
            throw .invalidShapes(
                operation: operation, shapes: [inputShape],
                expected: "an input [N, C, ...] with \(rank) spatial axes and 1 to 3 spatial axes in all")
        }
        for (name, values) in [("strides", strides), ("dilations", dilations), ("pads (begin)", padsBegin), ("pads (end)", padsEnd)] {
            guard values.count == rank else {
                throw .invalidParameter(operation: operation, parameter: name, value: "\(values)", expected: "\(rank) values")
            }
        }
        guard strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }), kernelSize.allSatisfy({ $0 >= 1 }) else {
            throw .invalidParameter(
                operation: operation, parameter: "strides/dilations/kernel",
                value: "\(strides)/\(dilations)/\(kernelSize)", expected: "positive values")
        }
        guard (padsBegin + padsEnd).allSatisfy({ $0 >= 0 }) else {
            throw .invalidParameter(
                operation: operation, parameter: "pads", value: "\(padsBegin + padsEnd)",
                expected: "non-negative values")
        }
        let channels = inputShape[1]
        guard groups >= 1, channels % groups == 0, outputChannels % groups == 0, outputChannels >= 1 else {
            throw .invalidParameter(
                operation: operation, parameter: "group", value: "\(groups)",
                expected: "a divisor of the \(channels) input and \(outputChannels) output channels")
        }
        var outputSize: [Int] = []
        for axis in 0..<rank {
            let span = dilations[axis] * (kernelSize[axis] - 1) + 1
            let padded = inputShape[axis + 2] + padsBegin[axis] + padsEnd[axis]
            guard padded >= span else {
                throw .invalidShapes(
                    operation: operation, shapes: [inputShape],
                    expected: "spatial axis \(axis) (padded to \(padded)) at least as long as the kernel span \(span)")
            }
            outputSize.append((padded - span) / strides[axis] + 1)
        }
        batch = inputShape[0]
        inputChannels = channels
        self.outputChannels = outputChannels
        self.groups = groups
        inputSize = Array(inputShape.dropFirst(2))
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilations = dilations
        self.padsBegin = padsBegin
        self.padsEnd = padsEnd
        self.outputSize = outputSize
        volume = Volume(
            inputSize: inputSize, outputSize: outputSize, kernelSize: kernelSize, strides: strides,
            dilations: dilations, padsBegin: padsBegin)
    }

    /// `[N, C] + inputSize`.
    public var inputShape: [Int] { [batch, inputChannels] + inputSize }
    /// `[N, M] + outputSize`.
    public var outputShape: [Int] { [batch, outputChannels] + outputSize }
    /// `[M, C/groups] + kernelSize`.
    public var weightShape: [Int] { [outputChannels, inputChannels / groups] + kernelSize }

    var inputPositions: Int { elementCount(inputSize) }
    var outputPositions: Int { elementCount(outputSize) }
    var taps: Int { elementCount(kernelSize) }
    var inputChannelsPerGroup: Int { inputChannels / groups }
    var outputChannelsPerGroup: Int { outputChannels / groups }
    /// Rows of the im2col matrix of one group: input channels of the group times taps.
    var patchLength: Int { inputChannelsPerGroup * taps }

    /// Whether each output position reads exactly the input position under it (a 1x1 kernel,
    /// stride 1, no padding): the input itself is the im2col matrix.
    var isPointwise: Bool {
        taps == 1 && strides.allSatisfy { $0 == 1 } && (padsBegin + padsEnd).allSatisfy { $0 == 0 }
    }
}

/// Three spatial extents (depth, height, width); lower-rank geometries get leading ones.
struct Extent3: Sendable, Equatable {
    let d: Int, h: Int, w: Int

    init(_ values: [Int], fill: Int) {
        let padded = Array(repeating: fill, count: 3 - values.count) + values
        (d, h, w) = (padded[0], padded[1], padded[2])
    }
}

/// A convolution geometry padded to three spatial axes.
struct Volume: Sendable, Equatable {
    let input: Extent3, output: Extent3, kernel: Extent3, stride: Extent3, dilation: Extent3, pad: Extent3

    init(inputSize: [Int], outputSize: [Int], kernelSize: [Int], strides: [Int], dilations: [Int], padsBegin: [Int]) {
        input = Extent3(inputSize, fill: 1)
        output = Extent3(outputSize, fill: 1)
        kernel = Extent3(kernelSize, fill: 1)
        stride = Extent3(strides, fill: 1)
        dilation = Extent3(dilations, fill: 1)
        pad = Extent3(padsBegin, fill: 0)
    }
}

extension ConvolutionGeometry {
    /// Calls `body(outputOffset, inputOffset, count)` for every run of output positions in
    /// `positions` (flat over the output's spatial axes) whose input sample under kernel tap
    /// `tap` (flat over the kernel) lies inside the input. Within a run, output positions are
    /// consecutive and input positions are `strides.last` apart; `outputOffset` counts from
    /// `positions.lowerBound`, `inputOffset` from the start of one channel.
    @inline(__always)
    func forEachRun(tap: Int, positions: Range<Int>, _ body: (_ outputOffset: Int, _ inputOffset: Int, _ count: Int) -> Void) {
        let v = volume
        let kx = tap % v.kernel.w, ky = (tap / v.kernel.w) % v.kernel.h, kz = tap / (v.kernel.w * v.kernel.h)
        let shiftX = kx * v.dilation.w - v.pad.w
        // Output columns whose input column ow * stride + shiftX lies in 0..<input.w.
        let firstColumn = shiftX >= 0 ? 0 : (-shiftX + v.stride.w - 1) / v.stride.w
        let lastColumn = v.input.w - 1 - shiftX < 0 ? -1 : min(v.output.w - 1, (v.input.w - 1 - shiftX) / v.stride.w)
        guard firstColumn <= lastColumn else { return }
        var position = positions.lowerBound
        while position < positions.upperBound {
            let line = position / v.output.w
            let lineStart = line * v.output.w
            let lineEnd = min(lineStart + v.output.w, positions.upperBound)
            defer { position = lineEnd }
            let oh = line % v.output.h, od = line / v.output.h
            let iz = od * v.stride.d + kz * v.dilation.d - v.pad.d
            let iy = oh * v.stride.h + ky * v.dilation.h - v.pad.h
            guard iz >= 0, iz < v.input.d, iy >= 0, iy < v.input.h else { continue }
            let first = max(position - lineStart, firstColumn)
            let last = min(lineEnd - lineStart - 1, lastColumn)
            guard first <= last else { continue }
            body(
                lineStart + first - positions.lowerBound,
                (iz * v.input.h + iy) * v.input.w + first * v.stride.w + shiftX, last - first + 1)
        }
    }
}
