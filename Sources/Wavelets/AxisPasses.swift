import NDArray

/// An analysis-type pass along one axis: extend each line by a plan, correlate with two filters
/// at stride 2, and write `[low | high]` halves of `outputs` coefficients each.
///
/// Used by decomposition (decomposition filters, the mode's extension) and by the adjoint of
/// synthesis (reconstruction filters, zero padding, and for periodization a fold of `computed`
/// coefficients onto `outputs` by `(q + foldOffset) mod outputs`).
struct AnalysisPass: Sendable {
    let plan: ExtensionPlan
    /// Coefficients computed per band before folding.
    let computed: Int
    /// Coefficients per band in the result.
    let outputs: Int
    let foldOffset: Int

    var folds: Bool { computed != outputs || foldOffset != 0 }

    func foldedIndex(_ q: Int) -> Int { ((q + foldOffset) % outputs + outputs) % outputs }
}

/// A synthesis pass along one axis: read `[low | high]` halves of `coefficients` each, extend
/// them circularly to `extended` (periodization) and upsample-convolve; output sample `t` is the
/// full synthesis at `t + delta`, for `t < outputs`.
struct SynthesisPass: Sendable {
    let coefficients: Int
    let extended: Int
    let extensionOffset: Int
    let delta: Int
    let outputs: Int

    var isCircular: Bool { extended != coefficients || extensionOffset != 0 }

    /// Even/odd output pairs computed: pair `u` gives samples `2u - delta` and `2u + 1 - delta`.
    var pairs: Int { (outputs + delta + 1) / 2 }

    func sourceIndex(_ q: Int) -> Int {
        ((q + extensionOffset) % coefficients + coefficients) % coefficients
    }
}

/// Where the low- and high-pass halves of each line sit: line `l` has its halves at
/// `low + l * stride` and `high + l * stride`. A packed `[low | high]` array is
/// `(base, base + half, 2 * half)`; separate band arrays are `(approximation, detail, half)`.
struct SplitLines<Pointer: Strideable> where Pointer.Stride == Int {
    let low: Pointer
    let high: Pointer
    let stride: Int

    /// The halves of a packed array whose lines hold two halves of `half` elements each.
    static func packed(_ base: Pointer, half: Int) -> SplitLines { SplitLines(low: base, high: base.advanced(by: half), stride: 2 * half) }

    func line(_ index: Int) -> (low: Pointer, high: Pointer) {
        (low.advanced(by: index * stride), high.advanced(by: index * stride))
    }
}

/// An `ExtensionValue` in the data's element type, at an offset of the extended buffer.
struct BoundarySample<T: WaveletScalar> {
    let offset: Int
    let anchor: Int
    let sign: T
    let differences: [(T, Int, Int)]
}

/// Outputs computed per block by the line kernels, so that the working set stays in L1.
private let blockSize = 512

enum AxisKernels {
    /// Scratch elements `analyze` needs for `pass` on lines `inner` apart (extended buffer).
    static func extensionScratch(_ pass: AnalysisPass, inner: Int) -> Int { pass.plan.length * inner }

    /// Scratch elements the line kernels need (polyphase buffers and blocks).
    static func lineScratch(_ pass: AnalysisPass) -> Int { 2 * ((pass.plan.length + 1) / 2) + 2 * blockSize }

    /// Runs `pass` along `axis` of `input` (shape `shape`) into the halves of `output`, each of
    /// `pass.outputs` coefficients per line. `ext` and `scratch` hold at least
    /// `extensionScratch` and `lineScratch` elements.
    static func analyze<T: WaveletScalar>(
        _ input: UnsafePointer<T>, shape: [Int], axis: Int, pass: AnalysisPass,
        lo: [T], hi: [T], into output: SplitLines<UnsafeMutablePointer<T>>,
        ext: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>
    ) {
        let (outer, extent, inner) = NDArrayGeometry.split(shape, around: axis)
        precondition(extent == pass.plan.signalLength)
        let half = pass.outputs * inner
        if inner > 1 || pass.folds {
            for line in 0..<outer {
                let (low, high) = output.line(line)
                low.update(repeating: 0, count: half)
                high.update(repeating: 0, count: half)
            }
        }
        let boundary = pass.plan.boundary.map { entry in
            BoundarySample<T>(
                offset: entry.offset, anchor: entry.value.anchor!, sign: T(entry.value.sign),
                differences: entry.value.differences.map { (T($0.weight), $0.plus, $0.minus) })
        }
        lo.withUnsafeBufferPointer { lo in
            hi.withUnsafeBufferPointer { hi in
                for line in 0..<outer {
                    let x = input + line * extent * inner
                    let (low, high) = output.line(line)
                    if inner == 1 {
                        fillPhases(scratch, from: x, plan: pass.plan, boundary: boundary)
                        analyzeLine(into: low, high, pass: pass, lo: lo, hi: hi, scratch: scratch)
                    } else {
                        fillExtension(ext, from: x, inner: inner, plan: pass.plan, boundary: boundary)
                        analyzeSlab(ext, into: low, high, inner: inner, pass: pass, lo: lo, hi: hi)
                    }
                }
            }
        }
    }

    /// Writes the extended line split into its even and odd samples (`scratch` and
    /// `scratch + (length + 1) / 2`), straight from the signal.
    @inline(__always)
    private static func fillPhases<T: WaveletScalar>(
        _ scratch: UnsafeMutablePointer<T>, from x: UnsafePointer<T>,
        plan: ExtensionPlan, boundary: [BoundarySample<T>]
    ) {
        let phase = (plan.length + 1) / 2
        let even = scratch, odd = scratch + phase
        let copied = plan.copiedOffsets
        // Zeros outside the copied samples (boundary samples overwrite some of them below).
        let (a, b) = (copied.lowerBound, copied.upperBound)
        even.update(repeating: 0, count: (a + 1) / 2)
        (even + (b + 1) / 2).update(repeating: 0, count: phase - (b + 1) / 2)
        odd.update(repeating: 0, count: a / 2)
        (odd + b / 2).update(repeating: 0, count: plan.length / 2 - b / 2)
        if !copied.isEmpty {
            let source = x + plan.start
            var o = copied.lowerBound
            if o % 2 == 1 { odd[o / 2] = source[o]; o += 1 }
            // o is even: pairs (o, o + 1) go to even[o / 2] and odd[o / 2].
            let pairs = (copied.upperBound - o) / 2, first = o / 2
            let pairSource = source + o, evenTarget = even + first, oddTarget = odd + first
            for i in 0..<pairs {
                evenTarget[i] = pairSource[2 &* i]
                oddTarget[i] = pairSource[2 &* i &+ 1]
            }
            if (copied.upperBound - o) % 2 == 1 { even[first + pairs] = source[copied.upperBound - 1] }
        }
        for sample in boundary {
            var value = sample.sign * x[sample.anchor]
            for (weight, plus, minus) in sample.differences { value += weight * (x[plus] - x[minus]) }
            if sample.offset % 2 == 0 { even[sample.offset / 2] = value } else { odd[sample.offset / 2] = value }
        }
    }

    /// Writes the extended line (or, with `inner > 1`, the extended slab of rows) of one line.
    @inline(__always)
    private static func fillExtension<T: WaveletScalar>(
        _ e: UnsafeMutablePointer<T>, from x: UnsafePointer<T>,
        inner: Int, plan: ExtensionPlan, boundary: [BoundarySample<T>]
    ) {
        let total = plan.length * inner, copied = plan.copiedOffsets
        if copied.isEmpty {
            e.update(repeating: 0, count: total)
        } else {
            e.update(repeating: 0, count: copied.lowerBound * inner)
            (e + copied.lowerBound * inner).update(
                from: x + (plan.start + copied.lowerBound) * inner,
                count: copied.count * inner)
            (e + copied.upperBound * inner).update(repeating: 0, count: total - copied.upperBound * inner)
        }
        for sample in boundary {
            let row = e + sample.offset * inner, anchor = x + sample.anchor * inner
            for i in 0..<inner { row[i] = sample.sign * anchor[i] }
            for (weight, plus, minus) in sample.differences {
                let p = x + plus * inner, m = x + minus * inner
                for i in 0..<inner { row[i] += weight * (p[i] - m[i]) }
            }
        }
    }

    /// One contiguous line, polyphase (phases from `fillPhases`):
    /// `out[q] = sum_j taps[2j] even[q+j] + taps[2j+1] odd[q+j]`,
    /// computed a block of outputs at a time as vectorisable multiply-adds.
    @inline(__always)
    private static func analyzeLine<T: WaveletScalar>(
        into out: UnsafeMutablePointer<T>, _ outHigh: UnsafeMutablePointer<T>,
        pass: AnalysisPass,
        lo: UnsafeBufferPointer<T>, hi: UnsafeBufferPointer<T>,
        scratch: UnsafeMutablePointer<T>
    ) {
        let phase = (pass.plan.length + 1) / 2
        let even = scratch, odd = scratch + phase
        let blockLo = scratch + 2 * phase, blockHi = blockLo + blockSize
        let half = lo.count / 2
        var start = 0
        while start < pass.computed {
            let count = min(blockSize, pass.computed - start)
            blockLo.update(repeating: 0, count: count)
            blockHi.update(repeating: 0, count: count)
            for j in 0..<half {
                let le = lo[2 * j], lodd = lo[2 * j + 1], he = hi[2 * j], hodd = hi[2 * j + 1]
                let pe = even + start + j, po = odd + start + j
                for i in 0..<count {
                    let ve = pe[i], vo = po[i]
                    blockLo[i] += le * ve + lodd * vo
                    blockHi[i] += he * ve + hodd * vo
                }
            }
            if pass.folds {
                for i in 0..<count {
                    let target = pass.foldedIndex(start + i)
                    out[target] += blockLo[i]
                    outHigh[target] += blockHi[i]
                }
            } else {
                (out + start).update(from: blockLo, count: count)
                (outHigh + start).update(from: blockHi, count: count)
            }
            start += count
        }
    }

    /// A slab of `inner` interleaved lines: each output row is a sum of scaled extended rows.
    @inline(__always)
    private static func analyzeSlab<T: WaveletScalar>(
        _ e: UnsafeMutablePointer<T>, into out: UnsafeMutablePointer<T>,
        _ outHigh: UnsafeMutablePointer<T>, inner: Int, pass: AnalysisPass,
        lo: UnsafeBufferPointer<T>, hi: UnsafeBufferPointer<T>
    ) {
        for q in 0..<pass.computed {
            let target = pass.folds ? pass.foldedIndex(q) : q
            let a = out + target * inner, d = outHigh + target * inner
            for k in 0..<lo.count {
                let p = e + (2 * q + k) * inner
                let wl = lo[k], wh = hi[k]
                for i in 0..<inner {
                    a[i] += wl * p[i]
                    d[i] += wh * p[i]
                }
            }
        }
    }

    /// Scratch elements `synthesize` needs for `pass` on lines `inner` apart.
    static func synthesisScratch(_ pass: SynthesisPass, inner: Int) -> Int {
        (pass.isCircular ? 2 * pass.extended * inner : 0) + (inner == 1 ? 2 * blockSize : 0)
    }

    /// Runs `pass` along `axis` of `input`, whose lines hold `pass.coefficients` low- and
    /// high-pass coefficients (shape `shape` counts both halves), into `output`, whose extent
    /// along `axis` is `pass.outputs`; `scratch` holds at least `synthesisScratch` elements.
    static func synthesize<T: WaveletScalar>(
        _ input: SplitLines<UnsafePointer<T>>, shape: [Int], axis: Int,
        pass: SynthesisPass, taps: FilterTaps<T>, into output: UnsafeMutablePointer<T>,
        scratch: UnsafeMutablePointer<T>
    ) {
        let (outer, extent, inner) = NDArrayGeometry.split(shape, around: axis)
        let n = pass.coefficients, k = pass.extended
        precondition(extent == 2 * n)
        if inner > 1 { output.update(repeating: 0, count: outer * pass.outputs * inner) }
        let extended = scratch, phases = scratch + (pass.isCircular ? 2 * k * inner : 0)
        for line in 0..<outer {
            let (low, high) = input.line(line)
            let out = output + line * pass.outputs * inner
            var cLo = low, cHi = high
            if pass.isCircular {
                let eLo = extended, eHi = extended + k * inner
                var q = 0
                while q < k {
                    // Copy the longest run that does not wrap around the end of the coefficients.
                    let s = pass.sourceIndex(q), run = min(k - q, n - s)
                    (eLo + q * inner).update(from: low + s * inner, count: run * inner)
                    (eHi + q * inner).update(from: high + s * inner, count: run * inner)
                    q += run
                }
                cLo = UnsafePointer(eLo)
                cHi = UnsafePointer(eHi)
            }
            if inner == 1 {
                synthesizeLine(cLo, cHi, into: out, pass: pass, taps: taps, scratch: phases)
            } else {
                synthesizeSlab(cLo, cHi, into: out, inner: inner, pass: pass, taps: taps)
            }
        }
    }

    /// One contiguous line: even and odd outputs as vectorisable multiply-adds over `u`, then
    /// interleaved.
    @inline(__always)
    private static func synthesizeLine<T: WaveletScalar>(
        _ cLo: UnsafePointer<T>, _ cHi: UnsafePointer<T>,
        into out: UnsafeMutablePointer<T>, pass: SynthesisPass,
        taps: FilterTaps<T>, scratch: UnsafeMutablePointer<T>
    ) {
        let pairs = pass.pairs, even = scratch, odd = scratch + blockSize, half = taps.length / 2
        var start = 0
        while start < pairs {
            let count = min(blockSize, pairs - start)
            even.update(repeating: 0, count: count)
            odd.update(repeating: 0, count: count)
            for j in 0..<half {
                let el = taps.evenLo[j], eh = taps.evenHi[j], ol = taps.oddLo[j], oh = taps.oddHi[j]
                let a = cLo + start + j, d = cHi + start + j
                for u in 0..<count {
                    let va = a[u], vd = d[u]
                    even[u] += el * va + eh * vd
                    odd[u] += ol * va + oh * vd
                }
            }
            // Interleave: pair u is samples 2u - delta and 2u + 1 - delta; only the first and
            // last pairs of the line may fall partly outside the output.
            var first = 0, last = count
            if start == 0 && pass.delta == 1 {
                out[0] = odd[0]
                first = 1
            }
            if start + count == pairs && 2 * (pairs - 1) + 1 - pass.delta >= pass.outputs {
                last -= 1
                if last >= first { out[2 * (start + last) - pass.delta] = even[last] }
            }
            let base = out + (2 * start - pass.delta)
            for u in first..<max(first, last) {
                base[2 &* u] = even[u]
                base[2 &* u &+ 1] = odd[u]
            }
            start += count
        }
    }

    /// A slab of `inner` interleaved lines: each output row is a sum of scaled coefficient rows.
    @inline(__always)
    private static func synthesizeSlab<T: WaveletScalar>(
        _ cLo: UnsafePointer<T>, _ cHi: UnsafePointer<T>,
        into out: UnsafeMutablePointer<T>, inner: Int,
        pass: SynthesisPass, taps: FilterTaps<T>
    ) {
        for u in 0..<pass.pairs {
            let t0 = 2 * u - pass.delta, t1 = t0 + 1
            for j in 0..<(taps.length / 2) {
                let a = cLo + (u + j) * inner, d = cHi + (u + j) * inner
                if t0 >= 0 {
                    let row = out + t0 * inner, el = taps.evenLo[j], eh = taps.evenHi[j]
                    for i in 0..<inner { row[i] += el * a[i] + eh * d[i] }
                }
                if t1 < pass.outputs {
                    let row = out + t1 * inner, ol = taps.oddLo[j], oh = taps.oddHi[j]
                    for i in 0..<inner { row[i] += ol * a[i] + oh * d[i] }
                }
            }
        }
    }
}
