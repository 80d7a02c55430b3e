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

    func sourceIndex(_ q: Int) -> Int {
        ((q + extensionOffset) % coefficients + coefficients) % coefficients
    }
}

/// An `ExtensionValue` in the data's element type, at an offset of the extended buffer.
struct BoundarySample<T: WaveletScalar> {
    let offset: Int
    let anchor: Int
    let sign: T
    let differences: [(T, Int, Int)]
}

enum AxisKernels {
    /// Runs `pass` along `axis` of `data` (shape `shape`); returns the new data, whose extent
    /// along `axis` is `2 * pass.outputs`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func analyze<T: WaveletScalar>(_ data: [T], shape: [Int], axis: Int, pass: AnalysisPass,
                                          lo: [T], hi: [T]) -> [T] {
        let (outer, extent, inner) = NDArrayGeometry.split(shape, around: axis)
        precondition(extent == pass.plan.signalLength)
        let m = pass.outputs, taps = lo.count, extLength = pass.plan.length
        var result = [T](repeating: 0, count: outer * 2 * m * inner)
        var ext = [T](repeating: 0, count: extLength * inner)
        let boundary = pass.plan.boundary.map { entry in
            BoundarySample<T>(offset: entry.offset, anchor: entry.value.anchor!, sign: T(entry.value.sign),
                              differences: entry.value.differences.map { (T($0.weight), $0.plus, $0.minus) })
        }
        let copied = pass.plan.copiedOffsets
        data.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                ext.withUnsafeMutableBufferPointer { e in
                    lo.withUnsafeBufferPointer { lo in
                        hi.withUnsafeBufferPointer { hi in
                            for line in 0..<outer {
                                let x = input.baseAddress! + line * extent * inner
                                let out = output.baseAddress! + line * 2 * m * inner
                                fillExtension(e.baseAddress!, from: x, inner: inner, plan: pass.plan,
                                              copied: copied, boundary: boundary)
                                if inner == 1 {
                                    for q in 0..<pass.computed {
                                        let p = e.baseAddress! + 2 * q
                                        var a: T = 0, d: T = 0
                                        for k in 0..<taps {
                                            a += lo[k] * p[k]
                                            d += hi[k] * p[k]
                                        }
                                        let target = pass.computed == m ? q : pass.foldedIndex(q)
                                        out[target] += a
                                        out[m + target] += d
                                    }
                                } else {
                                    for q in 0..<pass.computed {
                                        let target = pass.computed == m ? q : pass.foldedIndex(q)
                                        let a = out + target * inner, d = out + (m + target) * inner
                                        for k in 0..<taps {
                                            let p = e.baseAddress! + (2 * q + k) * inner
                                            let wl = lo[k], wh = hi[k]
                                            for i in 0..<inner {
                                                a[i] += wl * p[i]
                                                d[i] += wh * p[i]
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Writes the extended line (or, with `inner > 1`, the extended slab of rows) of one line.
    @inline(__always)
    private static func fillExtension<T: WaveletScalar>(_ e: UnsafeMutablePointer<T>, from x: UnsafePointer<T>,
                                                        inner: Int, plan: ExtensionPlan, copied: Range<Int>,
                                                        boundary: [BoundarySample<T>]) {
        let total = plan.length * inner
        if copied.isEmpty {
            e.update(repeating: 0, count: total)
        } else {
            e.update(repeating: 0, count: copied.lowerBound * inner)
            (e + copied.lowerBound * inner).update(from: x + (plan.start + copied.lowerBound) * inner,
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

    /// Runs `pass` along `axis` of packed `[low | high]` data; returns data whose extent along
    /// `axis` is `pass.outputs`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func synthesize<T: WaveletScalar>(_ data: [T], shape: [Int], axis: Int, pass: SynthesisPass,
                                             taps: FilterTaps<T>) -> [T] {
        let (outer, extent, inner) = NDArrayGeometry.split(shape, around: axis)
        let n = pass.coefficients, k = pass.extended, half = taps.length / 2
        precondition(extent == 2 * n)
        var result = [T](repeating: 0, count: outer * pass.outputs * inner)
        let circular = k != n || pass.extensionOffset != 0
        var extLo = [T](repeating: 0, count: circular ? k * inner : 0)
        var extHi = extLo
        let pairs = (pass.outputs + pass.delta + 1) / 2
        data.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                extLo.withUnsafeMutableBufferPointer { extLo in
                    extHi.withUnsafeMutableBufferPointer { extHi in
                        for line in 0..<outer {
                            let x = input.baseAddress! + line * 2 * n * inner
                            let out = output.baseAddress! + line * pass.outputs * inner
                            var cLo = UnsafePointer(x), cHi = UnsafePointer(x + n * inner)
                            if circular {
                                for q in 0..<k {
                                    let s = pass.sourceIndex(q)
                                    (extLo.baseAddress! + q * inner).update(from: x + s * inner, count: inner)
                                    (extHi.baseAddress! + q * inner).update(from: x + (n + s) * inner, count: inner)
                                }
                                cLo = UnsafePointer(extLo.baseAddress!)
                                cHi = UnsafePointer(extHi.baseAddress!)
                            }
                            for u in 0..<pairs {
                                let t0 = 2 * u - pass.delta, t1 = t0 + 1
                                if inner == 1 {
                                    var even: T = 0, odd: T = 0
                                    for j in 0..<half {
                                        let a = cLo[u + j], d = cHi[u + j]
                                        even += taps.evenLo[j] * a + taps.evenHi[j] * d
                                        odd += taps.oddLo[j] * a + taps.oddHi[j] * d
                                    }
                                    if t0 >= 0 { out[t0] = even }
                                    if t1 < pass.outputs { out[t1] = odd }
                                } else {
                                    for j in 0..<half {
                                        let a = cLo + (u + j) * inner, d = cHi + (u + j) * inner
                                        let el = taps.evenLo[j], eh = taps.evenHi[j]
                                        let ol = taps.oddLo[j], oh = taps.oddHi[j]
                                        if t0 >= 0 {
                                            let row = out + t0 * inner
                                            for i in 0..<inner { row[i] += el * a[i] + eh * d[i] }
                                        }
                                        if t1 < pass.outputs {
                                            let row = out + t1 * inner
                                            for i in 0..<inner { row[i] += ol * a[i] + oh * d[i] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
