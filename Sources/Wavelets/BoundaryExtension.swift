/// The value a signal of length `n` takes at a position outside `0..<n` under an extension mode:
/// `sign * x[anchor] + sum(weight * (x[plus] - x[minus]))`, evaluated left to right, or zero
/// when there is no anchor.
///
/// Derived term by term from PyWavelets' C convolution, so that every mode, including the
/// repeated reflections needed when the filter is longer than the signal, agrees with pywt. The
/// difference form follows pywt's evaluation order (`x0 + k * (x0 - x1)` for `smooth`, running
/// edge values for `antireflect`), which keeps Float32 rounding as small as pywt's.
struct ExtensionValue: Sendable {
    var anchor: Int?
    var sign: Double = 1
    var differences: [(weight: Double, plus: Int, minus: Int)] = []

    static let zero = ExtensionValue(anchor: nil)

    static func sample(_ index: Int, sign: Double = 1) -> ExtensionValue {
        ExtensionValue(anchor: index, sign: sign)
    }

    /// The linear map as (index, weight) pairs, for tests and for reasoning about adjoints.
    var terms: [Int: Double] {
        guard let anchor else { return [:] }
        var terms: [Int: Double] = [anchor: sign]
        for d in differences {
            terms[d.plus, default: 0] += d.weight
            terms[d.minus, default: 0] -= d.weight
        }
        return terms.filter { $0.value != 0 }
    }
}

enum BoundaryExtension {
    /// Values of the left extension at positions -1, -2, ..., -count.
    static func left(length n: Int, mode: ExtensionMode, count: Int) -> [ExtensionValue] {
        if mode == .antireflect { return antireflect(length: n, count: count, mirrored: false) }
        return (0..<count).map { m in
            switch effective(mode, n) {
            case .zero, .periodization: return .zero
            case .constant: return .sample(0)
            case .smooth: return ExtensionValue(anchor: 0, differences: [(Double(m + 1), 0, 1)])
            case .periodic: return .sample(n - 1 - m % n)
            case .symmetric:
                let r = m % (2 * n)
                return r < n ? .sample(r) : .sample(2 * n - 1 - r)
            case .antisymmetric:
                let r = m % (2 * n)
                return r < n ? .sample(r, sign: -1) : .sample(2 * n - 1 - r)
            case .reflect:
                precondition(n >= 2, "reflect needs two samples")
                let r = m % (2 * n - 2)
                return r < n - 1 ? .sample(r + 1) : .sample(2 * n - 3 - r)
            case .antireflect:
                preconditionFailure("handled above")
            }
        }
    }

    /// Values of the right extension at positions n, n+1, ..., n+count-1.
    static func right(length n: Int, mode: ExtensionMode, count: Int) -> [ExtensionValue] {
        if mode == .antireflect { return antireflect(length: n, count: count, mirrored: true) }
        return (0..<count).map { m in
            switch effective(mode, n) {
            case .zero, .periodization: return .zero
            case .constant: return .sample(n - 1)
            case .smooth: return ExtensionValue(anchor: n - 1, differences: [(Double(m + 1), n - 1, n - 2)])
            case .periodic: return .sample(m % n)
            case .symmetric:
                let r = m % (2 * n)
                return r < n ? .sample(n - 1 - r) : .sample(r - n)
            case .antisymmetric:
                let r = m % (2 * n)
                return r < n ? .sample(n - 1 - r, sign: -1) : .sample(r - n)
            case .reflect:
                precondition(n >= 2, "reflect needs two samples")
                let r = m % (2 * n - 2)
                return r < n - 1 ? .sample(n - 2 - r) : .sample(r - n + 2)
            case .antireflect:
                preconditionFailure("handled above")
            }
        }
    }

    /// pywt treats `smooth` on a one-sample signal as `constant`.
    private static func effective(_ mode: ExtensionMode, _ n: Int) -> ExtensionMode {
        mode == .smooth && n < 2 ? .constant : mode
    }

    /// Whole-sample antisymmetric extension: repeated point reflections about the running edge
    /// value. `mirrored` builds the right side by reading the signal backwards.
    private static func antireflect(length n: Int, count: Int, mirrored: Bool) -> [ExtensionValue] {
        precondition(n >= 2, "antireflect needs two samples")
        func sample(_ k: Int) -> Int { mirrored ? n - 1 - k : k }
        var values: [ExtensionValue] = []
        var edge = ExtensionValue.sample(sample(0))
        while values.count < count {
            // First reflection: edge - (x[k] - x[0]).
            var current = edge
            for k in 1..<n where values.count < count {
                current = edge
                current.differences.append((-1, sample(k), sample(0)))
                values.append(current)
            }
            edge = current
            // Second reflection: edge + (x[n-1-k] - x[n-1]).
            for k in 1..<n where values.count < count {
                current = edge
                current.differences.append((1, sample(n - 1 - k), sample(n - 1)))
                values.append(current)
            }
            edge = current
        }
        return values
    }
}

/// The extended signal one analysis pass reads: positions `start ..< start + length` of the
/// signal (length `signalLength`) continued by a mode. Inside the signal a position copies its
/// sample; outside it is an `ExtensionValue` (or zero).
struct ExtensionPlan: Sendable {
    /// Signal position of the first extended sample.
    let start: Int
    /// Number of extended samples.
    let length: Int
    /// Signal length.
    let signalLength: Int
    /// Extended samples outside the signal that are not zero, by offset from `start`.
    let boundary: [(offset: Int, value: ExtensionValue)]

    /// Extended-buffer offsets that copy the signal directly.
    var copiedOffsets: Range<Int> { Self.copiedOffsets(start: start, length: length, signalLength: signalLength) }

    private static func copiedOffsets(start: Int, length: Int, signalLength: Int) -> Range<Int> {
        let first = max(0, -start), last = min(length, signalLength - start)
        return first < last ? first..<last : 0..<0
    }

    /// Extended-buffer offsets outside the signal: all but `copiedOffsets`.
    private static func outsideOffsets(start: Int, length: Int, signalLength: Int) -> [Int] {
        let copied = copiedOffsets(start: start, length: length, signalLength: signalLength)
        return Array(0..<copied.lowerBound) + Array(copied.upperBound..<length)
    }

    /// A plan for a non-periodization mode (zero padding when `mode` is `.zero`).
    init(signalLength n: Int, mode: ExtensionMode, start: Int, length: Int) {
        precondition(mode != .periodization)
        self.start = start
        self.length = length
        self.signalLength = n
        let left = BoundaryExtension.left(length: n, mode: mode, count: max(0, -start))
        let right = BoundaryExtension.right(length: n, mode: mode, count: max(0, start + length - n))
        boundary = Self.outsideOffsets(start: start, length: length, signalLength: n).compactMap { offset in
            let position = start + offset
            let value = position < 0 ? left[-1 - position] : right[position - n]
            return value.anchor == nil ? nil : (offset, value)
        }
    }

    /// A periodization plan: the signal padded to even length by repeating its last sample, then
    /// repeated periodically.
    init(periodizedSignalLength n: Int, start: Int, length: Int) {
        self.start = start
        self.length = length
        self.signalLength = n
        let period = n + n % 2
        boundary = Self.outsideOffsets(start: start, length: length, signalLength: n).map { offset in
            let wrapped = ((start + offset) % period + period) % period
            return (offset, .sample(min(wrapped, n - 1)))
        }
    }
}
