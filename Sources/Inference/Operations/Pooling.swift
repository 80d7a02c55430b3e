/// ONNX `MaxPool` and `AveragePool` over 1 to 3 spatial axes: kernel, strides, dilations,
/// asymmetric pads, `ceil_mode`, and `count_include_pad` for averages.
public struct Pooling: DifferentiableOperation {
    /// What a window computes.
    public enum Kind: Sendable, Equatable {
        case max
        /// The mean of the window; with `countIncludePad` the divisor counts padding positions too.
        case average(countIncludePad: Bool)
    }

    /// The window function.
    public let kind: Kind
    public var name: String { kind == .max ? "MaxPool" : "AveragePool" }
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    /// Per spatial axis (padded to three), per output index: first input index of the window,
    /// the valid tap range, and the divisor's factor.
    private let windows: [[Window]]
    private let dilation: Extent3
    private let input: Extent3
    private let output: Extent3

    private struct Window: Sendable {
        let start: Int
        let taps: Range<Int>
        let divisor: Int
    }

    /// A pooling of an input of `inputShape` (`[N, C, spatial...]`).
    public init(
        _ kind: Kind, inputShape: [Int], kernelSize: [Int], strides: [Int], dilations: [Int],
        padsBegin: [Int], padsEnd: [Int], ceilMode: Bool
    ) throws(InferenceError) {
        let name = kind == .max ? "MaxPool" : "AveragePool"
        let rank = kernelSize.count
        guard (1...3).contains(rank), inputShape.count == rank + 2 else {
            throw .invalidShapes(operation: name, shapes: [inputShape], expected: "an input [N, C, ...] with \(rank) spatial axes (1 to 3)")
        }
        guard [strides, dilations, padsBegin, padsEnd].allSatisfy({ $0.count == rank }),
            (kernelSize + strides + dilations).allSatisfy({ $0 >= 1 }), (padsBegin + padsEnd).allSatisfy({ $0 >= 0 })
        else {
            throw .invalidParameter(
                operation: name, parameter: "kernel/strides/dilations/pads",
                value: "\(kernelSize)/\(strides)/\(dilations)/\(padsBegin + padsEnd)",
                expected: "\(rank) positive values each (pads non-negative)")
        }
        var windows: [[Window]] = []
        var outputSize: [Int] = []
        for axis in 0..<rank {
            let length = inputShape[axis + 2], kernel = kernelSize[axis], step = strides[axis], dilation = dilations[axis]
            let span = dilation * (kernel - 1) + 1
            let room = length + padsBegin[axis] + padsEnd[axis] - span
            guard room >= 0 else {
                throw .invalidShapes(
                    operation: name, shapes: [inputShape],
                    expected: "spatial axis \(axis) (padded) at least as long as the window span \(span)")
            }
            var count = (ceilMode ? (room + step - 1) / step : room / step) + 1
            if ceilMode && (count - 1) * step >= length + padsBegin[axis] { count -= 1 }
            outputSize.append(count)
            windows.append(
                (0..<count).map { index in
                    let start = index * step - padsBegin[axis]
                    let first = start >= 0 ? 0 : (-start + dilation - 1) / dilation
                    let end = length - 1 - start < 0 ? 0 : min(kernel, (length - 1 - start) / dilation + 1)
                    let inPadded = min(kernel, max(0, (length + padsEnd[axis] - start + dilation - 1) / dilation))
                    let taps = first..<max(first, end)
                    return Window(start: start, taps: taps, divisor: kind == .average(countIncludePad: true) ? inPadded : taps.count)
                })
        }
        let single = [Window(start: 0, taps: 0..<1, divisor: 1)]
        self.windows = Array(repeating: single, count: 3 - rank) + windows
        self.kind = kind
        inputShapes = [inputShape]
        outputShape = Array(inputShape.prefix(2)) + outputSize
        dilation = Extent3(dilations, fill: 1)
        input = Extent3(Array(inputShape.dropFirst(2)), fill: 1)
        output = Extent3(outputSize, fill: 1)
    }

    public var backwardReads: BackwardReads { kind == .max ? .inputs : [] }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let x = inputs[0]
        forEachWindow { plane, outputIndex, window in
            if kind == .max {
                var best = -Float.infinity
                window { best = max(best, x[plane + $0]) }
                output[outputIndex] = best
            } else {
                var sum: Float = 0
                window { sum += x[plane + $0] }
                let divisor = divisor(outputIndex)
                output[outputIndex] = divisor > 0 ? sum / Float(divisor) : 0
            }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let dx = inputGradients[0] else { return }
        let x = inputs[0]
        forEachWindow { plane, outputIndex, window in
            let g = outputGradient[outputIndex]
            if kind == .max {
                var best = -Float.infinity, argument = -1
                window { if x[plane + $0] > best { best = x[plane + $0]; argument = $0 } }
                if argument >= 0 { dx[plane + argument] += g }
            } else {
                let divisor = divisor(outputIndex)
                guard divisor > 0 else { return }
                let share = g / Float(divisor)
                window { dx[plane + $0] += share }
            }
        }
    }

    /// The divisor of the average at flat output position `outputIndex`.
    @inline(__always)
    private func divisor(_ outputIndex: Int) -> Int {
        let position = outputIndex % (output.d * output.h * output.w)
        let x = position % output.w, y = (position / output.w) % output.h, z = position / (output.w * output.h)
        return windows[0][z].divisor * windows[1][y].divisor * windows[2][x].divisor
    }

    /// Calls `body(planeOffset, outputIndex, window)` for every output element; `window(visit)`
    /// calls `visit` with the in-plane offset of every valid input position of the window.
    @inline(__always)
    private func forEachWindow(_ body: (Int, Int, ((Int) -> Void) -> Void) -> Void) {
        let planes = outputShape[0] * outputShape[1]
        let planeSize = input.d * input.h * input.w
        var outputIndex = 0
        for plane in 0..<planes {
            for wz in windows[0] {
                for wy in windows[1] {
                    for wx in windows[2] {
                        body(plane * planeSize, outputIndex) { visit in
                            for tz in wz.taps {
                                let z = wz.start + tz * dilation.d
                                for ty in wy.taps {
                                    let row = (z * input.h + wy.start + ty * dilation.h) * input.w
                                    for tx in wx.taps { visit(row + wx.start + tx * dilation.w) }
                                }
                            }
                        }
                        outputIndex += 1
                    }
                }
            }
        }
    }
}
