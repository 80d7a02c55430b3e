/// The value a signal of length `n` takes at a position outside `0..<n`, under an extension mode,
/// as a linear combination of its samples: `sum(weight * x[index])`. An empty list is zero.
///
/// Derived term by term from PyWavelets' C convolution so that every mode, including the
/// repeated reflections needed when the filter is longer than the signal, agrees with pywt.
typealias LinearTerms = [(index: Int, weight: Double)]

enum BoundaryExtension {
    /// Values of the left extension at positions -1, -2, ..., -count.
    static func left(length n: Int, mode: ExtensionMode, count: Int) -> [LinearTerms] {
        if mode == .antireflect { return antireflect(length: n, count: count, mirrored: false) }
        return (0..<count).map { m in
            switch effective(mode, n) {
            case .zero, .periodization: return []
            case .constant: return [(0, 1)]
            case .smooth: return [(0, Double(m + 2)), (1, -Double(m + 1))]
            case .periodic: return [(n - 1 - m % n, 1)]
            case .symmetric:
                let r = m % (2 * n)
                return r < n ? [(r, 1)] : [(2 * n - 1 - r, 1)]
            case .antisymmetric:
                let r = m % (2 * n)
                return r < n ? [(r, -1)] : [(2 * n - 1 - r, 1)]
            case .reflect:
                precondition(n >= 2, "reflect needs two samples")
                let r = m % (2 * n - 2)
                return r < n - 1 ? [(r + 1, 1)] : [(2 * n - 3 - r, 1)]
            case .antireflect:
                preconditionFailure("handled above")
            }
        }
    }

    /// Values of the right extension at positions n, n+1, ..., n+count-1.
    static func right(length n: Int, mode: ExtensionMode, count: Int) -> [LinearTerms] {
        if mode == .antireflect { return antireflect(length: n, count: count, mirrored: true) }
        return (0..<count).map { m in
            switch effective(mode, n) {
            case .zero, .periodization: return []
            case .constant: return [(n - 1, 1)]
            case .smooth: return [(n - 1, Double(m + 2)), (n - 2, -Double(m + 1))]
            case .periodic: return [(m % n, 1)]
            case .symmetric:
                let r = m % (2 * n)
                return r < n ? [(n - 1 - r, 1)] : [(r - n, 1)]
            case .antisymmetric:
                let r = m % (2 * n)
                return r < n ? [(n - 1 - r, -1)] : [(r - n, 1)]
            case .reflect:
                precondition(n >= 2, "reflect needs two samples")
                let r = m % (2 * n - 2)
                return r < n - 1 ? [(n - 2 - r, 1)] : [(r - n + 2, 1)]
            case .antireflect:
                preconditionFailure("handled above")
            }
        }
    }

    /// pywt treats `smooth` on a one-sample signal as `constant`.
    private static func effective(_ mode: ExtensionMode, _ n: Int) -> ExtensionMode {
        mode == .smooth && n < 2 ? .constant : mode
    }

    /// Whole-sample antisymmetric extension: repeated point reflections about the current edge
    /// value. `mirrored` builds the right side by reading the signal backwards.
    private static func antireflect(length n: Int, count: Int, mirrored: Bool) -> [LinearTerms] {
        precondition(n >= 2, "antireflect needs two samples")
        func sample(_ k: Int) -> Int { mirrored ? n - 1 - k : k }
        var values: [LinearTerms] = []
        var edge: [Int: Double] = [sample(0): 1]
        func add(_ a: [Int: Double], _ b: [Int: Double]) -> [Int: Double] {
            a.merging(b, uniquingKeysWith: +).filter { $0.value != 0 }
        }
        func terms(_ d: [Int: Double]) -> LinearTerms { d.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
        var current = edge
        while values.count < count {
            // First reflection: edge - (x[k] - x[0]).
            for k in 1..<n where values.count < count {
                current = add(edge, [sample(k): -1, sample(0): 1])
                values.append(terms(current))
            }
            edge = current
            // Second reflection: edge + (x[n-1-k] - x[n-1]).
            for k in 1..<n where values.count < count {
                current = add(edge, [sample(n - 1 - k): 1, sample(n - 1): -1])
                values.append(terms(current))
            }
            edge = current
        }
        return values
    }
}

/// The extended signal one analysis pass reads: positions `start ..< start + length` of the
/// signal (length `signalLength`) continued by a mode. Inside the signal a position copies its
/// sample; outside it is a linear combination of samples (or zero).
struct ExtensionPlan: Sendable {
    /// Signal position of the first extended sample.
    let start: Int
    /// Number of extended samples.
    let length: Int
    /// Signal length.
    let signalLength: Int
    /// Extended samples that are linear combinations, by offset from `start`.
    let boundary: [(offset: Int, terms: LinearTerms)]

    /// Extended-buffer offsets that copy the signal directly, and the first signal index copied.
    var copiedOffsets: Range<Int> {
        let first = max(0, -start), last = min(length, signalLength - start)
        return first < last ? first..<last : 0..<0
    }

    /// A plan for a non-periodization mode (or zero padding when `mode` is `.zero`).
    init(signalLength n: Int, mode: ExtensionMode, start: Int, length: Int) {
        precondition(mode != .periodization)
        self.start = start
        self.length = length
        self.signalLength = n
        let leftCount = max(0, -start), rightCount = max(0, start + length - n)
        let left = BoundaryExtension.left(length: n, mode: mode, count: leftCount)
        let right = BoundaryExtension.right(length: n, mode: mode, count: rightCount)
        var boundary: [(Int, LinearTerms)] = []
        for offset in 0..<length {
            let position = start + offset
            if position < 0 {
                let terms = left[-1 - position]
                if !terms.isEmpty { boundary.append((offset, terms)) }
            } else if position >= n {
                let terms = right[position - n]
                if !terms.isEmpty { boundary.append((offset, terms)) }
            }
        }
        self.boundary = boundary
    }

    /// A periodization plan: the signal padded to even length by repeating its last sample, then
    /// repeated periodically.
    init(periodizedSignalLength n: Int, start: Int, length: Int) {
        self.start = start
        self.length = length
        self.signalLength = n
        let period = n + n % 2
        var boundary: [(Int, LinearTerms)] = []
        for offset in 0..<length {
            let position = start + offset
            guard position < 0 || position >= n else { continue }
            let wrapped = ((position % period) + period) % period
            boundary.append((offset, [(min(wrapped, n - 1), 1)]))
        }
        self.boundary = boundary
    }
}
