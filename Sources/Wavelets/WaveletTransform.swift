import NDArray

/// A multilevel discrete wavelet transform of arrays of one shape, along chosen axes, with
/// PyWavelets' semantics (`wavedecn` / `waverecn`; `wavedec` and `wavedec2` are the 1- and
/// 2-axis cases), and the exact adjoint of its reconstruction.
///
/// The transform plans everything that depends only on the shape once; use one instance for
/// many signals.
public struct WaveletTransform: Sendable {
    public let wavelet: Wavelet
    public let mode: ExtensionMode
    /// Band positions of the coefficient vector.
    public let layout: CoefficientLayout
    /// Shape of the signals this transform takes.
    public var signalShape: [Int] { layout.signalShape }
    /// Transformed axes, non-negative, in transform order.
    public var axes: [Int] { layout.axes }
    /// Number of levels.
    public var levels: Int { layout.levels }

    /// `lengths[j][i]`: extent along `axes[i]` of the input of level `j + 1` (`j = 0` is the
    /// signal); the last entry is the approximation's extent.
    private let lengths: [[Int]]
    /// Per level (from 1), per axis: the passes of decomposition, of the synthesis adjoint and
    /// of synthesis.
    private let analysisPasses: [[AnalysisPass]]
    private let adjointPasses: [[AnalysisPass]]
    private let synthesisPasses: [[SynthesisPass]]

    /// Plans a transform.
    /// - Parameters:
    ///   - levels: number of levels; `nil` picks `maxLevel` (pywt's default). A single level is
    ///     always allowed, as in `pywt.dwt`; more than `max(maxLevel, 1)` is refused.
    ///   - axes: axes to transform (negative counts from the end); `nil` means all axes.
    public init(
        wavelet: Wavelet, mode: ExtensionMode, signalShape: [Int], levels: Int? = nil,
        axes: [Int]? = nil
    ) throws(WaveletError) {
        let rank = signalShape.count
        let requested = axes ?? Array(0..<rank)
        let resolved = requested.compactMap { NDArrayGeometry.normalizedAxis($0, rank: rank) }
        guard rank > 0, !requested.isEmpty, resolved.count == requested.count,
            Set(resolved).count == resolved.count
        else {
            throw .invalidAxes(axes: requested, rank: rank)
        }
        let extents = resolved.map { signalShape[$0] }
        guard signalShape.allSatisfy({ $0 > 0 }) else { throw .emptyInput(shape: signalShape) }
        let maximum = WaveletTransform.maxLevel(lengths: extents, filterLength: wavelet.filterLength)
        let levels = levels ?? maximum
        guard levels >= 0 else { throw .negativeLevel(levels) }
        guard levels <= max(maximum, 1) else {
            throw .levelTooHigh(level: levels, maximum: maximum, lengths: extents, filterLength: wavelet.filterLength)
        }
        var lengths = [extents]
        for _ in 0..<levels {
            let current = lengths.last!
            if mode == .reflect || mode == .antireflect, let short = current.first(where: { $0 < 2 }) {
                throw .signalTooShortForMode(mode: mode, length: short)
            }
            lengths.append(
                current.map {
                    WaveletTransform.coefficientCount(length: $0, filterLength: wavelet.filterLength, mode: mode)
                })
        }
        let levelShapes = lengths.dropFirst().map { extentsAtLevel -> [Int] in
            var shape = signalShape
            for (i, axis) in resolved.enumerated() { shape[axis] = extentsAtLevel[i] }
            return shape
        }
        self.wavelet = wavelet
        self.mode = mode
        self.lengths = lengths
        let f = wavelet.filterLength
        let steps = (1..<(levels + 1)).map { level in resolved.indices.map { (lengths[level - 1][$0], lengths[level][$0]) } }
        analysisPasses = steps.map { $0.map { Self.analysisPass(signal: $0.0, coefficients: $0.1, filterLength: f, mode: mode) } }
        synthesisPasses = steps.map { $0.map { Self.synthesisPass(signal: $0.0, coefficients: $0.1, filterLength: f, mode: mode) } }
        adjointPasses = synthesisPasses.map { $0.map { Self.adjointPass(of: $0, filterLength: f) } }
        self.layout = CoefficientLayout(signalShape: signalShape, axes: resolved, levelShapes: Array(levelShapes))
    }

    /// pywt's `dwt_max_level`: the deepest level at which some coefficients are still free of
    /// boundary effects, `floor(log2(n / (F - 1)))` for the shortest transformed axis.
    public static func maxLevel(lengths: [Int], filterLength: Int) -> Int {
        lengths.map { n -> Int in
            guard filterLength > 1, n >= filterLength - 1 else { return 0 }
            return (n / (filterLength - 1)).bitWidth - 1 - (n / (filterLength - 1)).leadingZeroBitCount
        }.min() ?? 0
    }

    /// pywt's `dwt_coeff_len`: coefficients per band after one level.
    public static func coefficientCount(length n: Int, filterLength f: Int, mode: ExtensionMode) -> Int {
        mode == .periodization ? (n + 1) / 2 : (n + f - 1) / 2
    }

    // MARK: - Checked entry points

    /// Decomposes `signal` (`wavedecn`).
    /// - Throws: when the shape differs from the planned one or a sample is NaN or infinite.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func decompose<T: WaveletScalar>(_ signal: NDArray<T>) throws(WaveletError) -> WaveletCoefficients<T> {
        guard signal.shape == signalShape else {
            throw .shapeMismatch(what: "signal", expected: signalShape, actual: signal.shape)
        }
        try Self.requireFinite(signal.storage, what: "signal")
        return WaveletCoefficients(layout: layout, values: decompose(values: signal.storage))
    }

    /// Rebuilds the signal from its coefficients (`waverecn`), cropped to the signal shape.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func reconstruct<T: WaveletScalar>(_ coefficients: WaveletCoefficients<T>) throws(WaveletError) -> NDArray<T> {
        guard coefficients.layout == layout else {
            throw .shapeMismatch(what: "coefficients", expected: [layout.count], actual: [coefficients.layout.count])
        }
        try Self.requireFinite(coefficients.values, what: "coefficients")
        return NDArray(shape: signalShape, storage: reconstruct(values: coefficients.values))
    }

    /// Applies the transpose of `reconstruct`, `(W^-1)^T`, to an array of the signal's shape:
    /// the map that turns a gradient with respect to the signal into the gradient with respect
    /// to the coefficients.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func reconstructionAdjoint<T: WaveletScalar>(_ cotangent: NDArray<T>) throws(WaveletError) -> WaveletCoefficients<T> {
        guard cotangent.shape == signalShape else {
            throw .shapeMismatch(what: "cotangent", expected: signalShape, actual: cotangent.shape)
        }
        return WaveletCoefficients(layout: layout, values: reconstructionAdjoint(values: cotangent.storage))
    }

    private static func requireFinite<T: WaveletScalar>(_ values: [T], what: String) throws(WaveletError) {
        if let bad = values.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteInput(what: what, flatIndex: bad) }
    }

    // MARK: - Unchecked flat entry points (hot paths)

    /// `decompose` on a flat row-major signal, without validation.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func decompose<T: WaveletScalar>(values signal: [T]) -> [T] {
        let taps = FilterTaps<T>(wavelet)
        return cascade(signal, passes: analysisPasses, lo: taps.analysisLo, hi: taps.analysisHi)
    }

    /// `reconstructionAdjoint` on a flat row-major array, without validation.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func reconstructionAdjoint<T: WaveletScalar>(values cotangent: [T]) -> [T] {
        let taps = FilterTaps<T>(wavelet)
        return cascade(cotangent, passes: adjointPasses, lo: taps.adjointLo, hi: taps.adjointHi)
    }

    /// `reconstruct` on a flat coefficient vector, without validation.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func reconstruct<T: WaveletScalar>(values coefficients: [T]) -> [T] {
        guard levels > 0 else { return coefficients }
        let taps = FilterTaps<T>(wavelet)
        let keys = CoefficientLayout.keys(axisCount: axes.count)
        let passes = synthesisPasses
        // Buffer sizes: every intermediate array and every pass's scratch.
        var largest = 0, scratchSize = 0
        for level in 1...levels {
            var shape = levelShape(level)
            for i in axes.indices { shape[axes[i]] *= 2 }
            largest = max(largest, shape.reduce(1, *))
            for i in axes.indices.reversed() {
                let inner = NDArrayGeometry.split(shape, around: axes[i]).inner
                scratchSize = max(scratchSize, AxisKernels.synthesisScratch(passes[level - 1][i], inner: inner))
                shape[axes[i]] = passes[level - 1][i].outputs
                largest = max(largest, shape.reduce(1, *))
            }
        }
        let signalCount = signalShape.reduce(1, *)
        // Every sample is written by the last pass; no need to clear the memory first.
        var result = [T](unsafeUninitializedCapacity: signalCount) { _, count in count = signalCount }
        coefficients.withUnsafeBufferPointer { c in
            result.withUnsafeMutableBufferPointer { result in
                ScratchPool.shared.withBuffers([largest, largest, scratchSize], of: T.self) { buffers in
                    let bands = layout.bands
                    var current = buffers[0], spare = buffers[1]
                    current.update(from: c.baseAddress! + bands[0].offset, count: bands[0].count)
                    var bandIndex = 1
                    for level in stride(from: levels, through: 1, by: -1) {
                        let bandShape = levelShape(level)
                        var shape = bandShape
                        for axis in axes { shape[axis] *= 2 }
                        var input: SplitLines<UnsafePointer<T>>
                        let lines = NDArrayGeometry.split(shape, around: axes[axes.count - 1])
                        let half = lines.extent / 2 * lines.inner
                        if axes.count == 1 {
                            // One axis: read the approximation and the detail band where they are.
                            input = SplitLines(
                                low: UnsafePointer(current), high: c.baseAddress! + bands[bandIndex].offset,
                                stride: half)
                            bandIndex += 1
                        } else {
                            for key in keys {
                                let box: UnsafePointer<T>
                                if key == keys[0] {
                                    box = UnsafePointer(current)
                                } else {
                                    box = c.baseAddress! + bands[bandIndex].offset
                                    bandIndex += 1
                                }
                                BoxCopy.insert(
                                    box, size: bandShape, into: spare, shape: shape,
                                    origin: origin(of: key, bandShape: bandShape))
                            }
                            swap(&current, &spare)
                            input = .packed(UnsafePointer(current), half: half)
                        }
                        for i in axes.indices.reversed() {
                            let pass = passes[level - 1][i]
                            let last = level == 1 && i == 0
                            let target = last ? result.baseAddress! : spare
                            AxisKernels.synthesize(
                                input, shape: shape, axis: axes[i], pass: pass, taps: taps,
                                into: target, scratch: buffers[2])
                            shape[axes[i]] = pass.outputs
                            if i > 0 {
                                let next = NDArrayGeometry.split(shape, around: axes[i - 1])
                                input = .packed(UnsafePointer(target), half: next.extent / 2 * next.inner)
                            }
                            spare = current
                            current = target
                        }
                    }
                }
            }
        }
        return result
    }

    // MARK: - Plans

    /// Shape of every band of `level` (level 0: the signal).
    private func levelShape(_ level: Int) -> [Int] {
        var shape = signalShape
        for (i, axis) in axes.enumerated() { shape[axis] = lengths[level][i] }
        return shape
    }

    /// The decomposition structure shared by `decompose` and `reconstructionAdjoint`: per level,
    /// one analysis-type pass per axis into a packed `[low | high]` array, from which the bands
    /// are cut; the all-low band feeds the next level.
    private func cascade<T: WaveletScalar>(_ signal: [T], passes: [[AnalysisPass]], lo: [T], hi: [T]) -> [T] {
        guard levels > 0 else { return signal }
        let keys = CoefficientLayout.keys(axisCount: axes.count)
        var largest = 0, extSize = 0, lineSize = 0
        for level in 1...levels {
            var shape = levelShape(level - 1)
            for i in axes.indices {
                let inner = NDArrayGeometry.split(shape, around: axes[i]).inner
                // Lines (inner == 1) are split into phases in `lineSize`; slabs are extended in `extSize`.
                if inner == 1 {
                    lineSize = max(lineSize, AxisKernels.lineScratch(passes[level - 1][i]))
                } else {
                    extSize = max(extSize, AxisKernels.extensionScratch(passes[level - 1][i], inner: inner))
                }
                shape[axes[i]] = 2 * lengths[level][i]
                largest = max(largest, shape.reduce(1, *))
            }
        }
        // Every band is written below; no need to clear the memory first.
        var output = [T](unsafeUninitializedCapacity: layout.count) { _, count in count = layout.count }
        signal.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { output in
                ScratchPool.shared.withBuffers([largest, largest, extSize, lineSize], of: T.self) { buffers in
                    var source = x.baseAddress!
                    var target = buffers[0], spare = buffers[1]
                    var shape = signalShape
                    for level in 1...levels {
                        let bandShape = levelShape(level)
                        if axes.count == 1 {
                            // One axis: low half to the next level's input, high half to its band.
                            let band = layout.bands.first { $0.level == level && !$0.isApproximation }!
                            let half = NDArrayGeometry.split(bandShape, around: axes[0])
                            AxisKernels.analyze(
                                source, shape: shape, axis: axes[0], pass: passes[level - 1][0], lo: lo, hi: hi,
                                into: SplitLines(
                                    low: target, high: output.baseAddress! + band.offset,
                                    stride: half.extent * half.inner),
                                ext: buffers[2], scratch: buffers[3])
                        } else {
                            for i in axes.indices {
                                let half = lengths[level][i] * NDArrayGeometry.split(shape, around: axes[i]).inner
                                AxisKernels.analyze(
                                    source, shape: shape, axis: axes[i], pass: passes[level - 1][i],
                                    lo: lo, hi: hi, into: .packed(target, half: half),
                                    ext: buffers[2], scratch: buffers[3])
                                source = UnsafePointer(target)
                                swap(&target, &spare)
                                shape[axes[i]] = 2 * lengths[level][i]
                            }
                            for key in keys {
                                let destination =
                                    key == keys[0]
                                    ? target
                                    : output.baseAddress! + layout.bands.first { $0.level == level && $0.key == key }!.offset
                                BoxCopy.extract(
                                    from: source, shape: shape, origin: origin(of: key, bandShape: bandShape),
                                    size: bandShape, into: destination)
                            }
                        }
                        source = UnsafePointer(target)
                        swap(&target, &spare)
                        shape = bandShape
                    }
                    (output.baseAddress! + layout.bands[0].offset).update(from: source, count: layout.bands[0].count)
                }
            }
        }
        return output
    }

    /// Where the band `key` sits in the packed `[low | high]` array of one level.
    private func origin(of key: String, bandShape: [Int]) -> [Int] {
        var origin = Array(repeating: 0, count: bandShape.count)
        for (i, letter) in key.enumerated() where letter == "d" { origin[axes[i]] = bandShape[axes[i]] }
        return origin
    }

    /// Decomposition of `n` samples into `m` coefficients per band.
    private static func analysisPass(signal n: Int, coefficients m: Int, filterLength f: Int, mode: ExtensionMode) -> AnalysisPass {
        let first = mode == .periodization ? f / 2 : 1
        let start = first - (f - 1), length = 2 * m + f - 2
        let plan =
            mode == .periodization
            ? ExtensionPlan(periodizedSignalLength: n, start: start, length: length)
            : ExtensionPlan(signalLength: n, mode: mode, start: start, length: length)
        return AnalysisPass(plan: plan, computed: m, outputs: m, foldOffset: 0)
    }

    /// Synthesis of `outputs` samples from `n` coefficients per band.
    private static func synthesisPass(signal outputs: Int, coefficients n: Int, filterLength f: Int, mode: ExtensionMode) -> SynthesisPass {
        guard mode == .periodization else {
            return SynthesisPass(coefficients: n, extended: n, extensionOffset: 0, delta: 0, outputs: outputs)
        }
        // pywt's periodic synthesis is out[t] = sum_m rec[m] * c[((t + F/2 - 1 - m) / 2) mod n]
        // over the m of matching parity: the plain synthesis of the coefficients extended
        // circularly from index `offset`, read from sample `delta` on.
        let delta = (f / 2) % 2 == 0 ? 1 : 0
        let offset = delta == 1 ? -(f / 4) : (1 - f / 2) / 2
        return SynthesisPass(
            coefficients: n, extended: n + f / 2 - 1 + delta, extensionOffset: offset,
            delta: delta, outputs: outputs)
    }

    /// The adjoint of `synthesis`: an analysis-type pass over zero-extended lines, folded back
    /// onto the coefficients when synthesis extended them circularly.
    private static func adjointPass(of synthesis: SynthesisPass, filterLength f: Int) -> AnalysisPass {
        let k = synthesis.extended
        let plan = ExtensionPlan(
            signalLength: synthesis.outputs, mode: .zero,
            start: (1 - synthesis.delta) - (f - 1), length: 2 * k + f - 2)
        return AnalysisPass(
            plan: plan, computed: k, outputs: synthesis.coefficients,
            foldOffset: synthesis.extensionOffset)
    }
}
