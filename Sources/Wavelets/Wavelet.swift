/// A discrete wavelet filter bank, identical to PyWavelets' wavelet of the same name.
public struct Wavelet: Sendable, Hashable, CustomStringConvertible {
    /// pywt's name, e.g. `db4`, `sym8`, `bior2.2`, `dmey`.
    public let name: String
    /// Family, e.g. `Daubechies`.
    public let familyName: String
    /// Family prefix, e.g. `db`.
    public let shortFamilyName: String
    /// Whether synthesis is the transpose of analysis.
    public let isOrthogonal: Bool
    /// Whether the bank is biorthogonal (orthogonal banks are too).
    public let isBiorthogonal: Bool
    /// `symmetric`, `asymmetric` or `near symmetric`.
    public let symmetry: String
    /// Vanishing moments of the wavelet function (0 when pywt does not say).
    public let vanishingMoments: Int
    /// Decomposition (analysis) low-pass filter.
    public let decLo: [Double]
    /// Decomposition (analysis) high-pass filter.
    public let decHi: [Double]
    /// Reconstruction (synthesis) low-pass filter.
    public let recLo: [Double]
    /// Reconstruction (synthesis) high-pass filter.
    public let recHi: [Double]

    /// Length of every filter of the bank (always even).
    public var filterLength: Int { decLo.count }

    public var description: String { name }

    /// Looks a wavelet up by its pywt name (`haar`, `db1`...`db38`, `sym2`...`sym20`,
    /// `coif1`...`coif17`, `bior1.1`...`bior6.8`, `rbio1.1`...`rbio6.8`, `dmey`).
    /// - Throws: `WaveletError.unknownWavelet` with the closest names.
    public init(_ name: String) throws(WaveletError) {
        let key = name.lowercased()
        guard let found = Wavelet.byName[key] else {
            throw .unknownWavelet(name: name, suggestions: Wavelet.closestNames(to: key))
        }
        self = found
    }

    init(entry: WaveletTableEntry) {
        name = entry.name
        familyName = entry.familyName
        shortFamilyName = entry.shortFamilyName
        isOrthogonal = entry.orthogonal
        isBiorthogonal = entry.biorthogonal
        symmetry = entry.symmetry
        vanishingMoments = entry.vanishingMomentsPsi
        decLo = entry.decLo
        decHi = entry.decHi
        recLo = entry.recLo
        recHi = entry.recHi
    }

    /// Every wavelet, in pywt's `wavelist(kind='discrete')` order.
    public static let all: [Wavelet] = WaveletTables.all.map(Wavelet.init(entry:))

    /// Families in pywt's order, each with its members in natural order.
    public static var families: [(shortName: String, name: String, members: [Wavelet])] {
        var order: [String] = []
        var members: [String: [Wavelet]] = [:]
        for wavelet in all {
            if members[wavelet.shortFamilyName] == nil { order.append(wavelet.shortFamilyName) }
            members[wavelet.shortFamilyName, default: []].append(wavelet)
        }
        let familyOrder = ["haar", "db", "sym", "coif", "bior", "rbio", "dmey"]
        return
            order
            .sorted { (familyOrder.firstIndex(of: $0) ?? 99) < (familyOrder.firstIndex(of: $1) ?? 99) }
            .map { short in
                let list = members[short]!.sorted { naturalOrder($0.name, $1.name) }
                return (short, list[0].familyName, list)
            }
    }

    private static let byName: [String: Wavelet] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Up to three known names closest to `name` by edit distance.
    static func closestNames(to name: String) -> [String] {
        let scored = all.map { ($0.name, editDistance($0.name, name)) }
        let best = scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : naturalOrder($0.0, $1.0) }
        return best.prefix(3).filter { $0.1 <= max(2, name.count / 2) }.map(\.0)
    }
}

/// Levenshtein distance between two short strings.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}

/// Orders `db2` before `db10` and `bior1.3` before `bior2.2`.
func naturalOrder(_ a: String, _ b: String) -> Bool {
    func parts(_ s: String) -> (String, [Int]) {
        let prefix = String(s.prefix { !$0.isNumber })
        let numbers = s.dropFirst(prefix.count).split(separator: ".").compactMap { Int($0) }
        return (prefix, numbers)
    }
    let (pa, na) = parts(a), (pb, nb) = parts(b)
    return pa != pb ? pa < pb : na.lexicographicallyPrecedes(nb)
}
