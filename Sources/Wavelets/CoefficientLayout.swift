/// Where every band of a multilevel decomposition sits in one flat vector.
///
/// Order (pywt's `wavedecn`): the approximation `cA_J` first, then for each level from the
/// coarsest `J` down to 1 its detail bands in `dwtn` key order (`ad`, `da`, `dd` in 2D). Each
/// band is stored row-major. Ranking, masking and gradients work on the flat vector; the band
/// index says where (`level`) and what orientation (`key`) each coefficient is.
public struct CoefficientLayout: Sendable, Hashable {
    /// One sub-band.
    public struct Band: Sendable, Hashable {
        /// Decomposition level, 1 (finest) to `levels`; the approximation has level `levels`.
        public let level: Int
        /// pywt's `dwtn` key, one letter per transformed axis: `a` (low-pass) or `d` (high-pass).
        public let key: String
        /// Shape of the band (the signal's rank).
        public let shape: [Int]
        /// Position of the band's first coefficient in the flat vector.
        public let offset: Int
        /// Number of coefficients.
        public var count: Int { shape.reduce(1, *) }
        /// Range of the band in the flat vector.
        public var range: Range<Int> { offset..<(offset + count) }
        /// Whether this is the approximation band.
        public var isApproximation: Bool { key.allSatisfy { $0 == "a" } }
    }

    /// Shape of the signal that was decomposed.
    public let signalShape: [Int]
    /// Transformed axes (non-negative, in transform order).
    public let axes: [Int]
    /// Number of levels.
    public let levels: Int
    /// Bands in flat order.
    public let bands: [Band]
    /// Total number of coefficients.
    public var count: Int { bands.last.map { $0.offset + $0.count } ?? 0 }

    /// Builds the layout from the per-level band shapes: `levelShapes[j - 1]` is the shape of
    /// every band of level `j`.
    init(signalShape: [Int], axes: [Int], levelShapes: [[Int]]) {
        self.signalShape = signalShape
        self.axes = axes
        self.levels = levelShapes.count
        let keys = CoefficientLayout.keys(axisCount: axes.count)
        var bands: [Band] = []
        var offset = 0
        func add(_ level: Int, _ key: String, _ shape: [Int]) {
            bands.append(Band(level: level, key: key, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        add(levels, keys[0], levelShapes.last ?? signalShape)
        for level in stride(from: levels, through: 1, by: -1) {
            for key in keys.dropFirst() { add(level, key, levelShapes[level - 1]) }
        }
        self.bands = bands
    }

    /// pywt's `dwtn` keys for `axisCount` axes, all-approximation first (`a`, `d`; `aa`, `ad`,
    /// `da`, `dd`; ...).
    public static func keys(axisCount: Int) -> [String] {
        (0..<(1 << axisCount)).map { bits in
            String((0..<axisCount).map { bit in bits & (1 << (axisCount - 1 - bit)) == 0 ? "a" : "d" })
        }
    }

    /// The index in `bands` of the band holding flat coefficient `flatIndex`.
    public func bandIndex(containing flatIndex: Int) -> Int {
        precondition(flatIndex >= 0 && flatIndex < count, "flat index \(flatIndex) outside 0..<\(count)")
        var low = 0, high = bands.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if bands[mid].offset <= flatIndex { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The band's name as pywt users know it: 1 axis `cA3`, `cD3`; 2 axes `cA2`, `cH2`, `cV2`,
    /// `cD2`; more axes `cA2`, `aad2`, `ada2`, ...
    public func name(of band: Band) -> String {
        if band.isApproximation { return "cA\(band.level)" }
        switch axes.count {
        case 1: return "cD\(band.level)"
        case 2:
            let letter = ["da": "H", "ad": "V", "dd": "D"][band.key]!
            return "c\(letter)\(band.level)"
        default: return "\(band.key)\(band.level)"
        }
    }

    /// The band called `name` (see `name(of:)`), if any.
    public func band(named name: String) -> Band? {
        bands.first { self.name(of: $0) == name }
    }
}
