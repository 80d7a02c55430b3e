/// How features are ordered by their attribution (METHOD.md section 5).
public enum RankingOrder: String, Sendable, CaseIterable, Codable {
    /// By `|a|`, largest first: evidence for the class and against it alike.
    case magnitude
    /// By `a`, largest first: the strongest evidence for the class first, counter-evidence last.
    case signed
}

/// Features ordered by their attribution (`|a|` or `a`), largest first, ties by index.
public struct Ranking: Sendable {
    /// Feature indices, most important first.
    public let order: [Int]

    public init(_ attribution: [Float], order: RankingOrder = .magnitude) {
        // One integer per feature sorts it: a key that orders like the value (larger first) above
        // the index (lower first among equals).
        var keys = attribution.enumerated().map { UInt64(Self.descendingKey($0.element, order)) << 32 | UInt64($0.offset) }
        keys.sort()
        self.order = keys.map { Int($0 & 0xFFFF_FFFF) }
    }

    /// A key that sorts ascending as `value` (or its magnitude) sorts descending: IEEE floats
    /// order like their bit patterns once negative ones are flipped.
    /// Both zeros are one value (a tie).
    private static func descendingKey(_ value: Float, _ order: RankingOrder) -> UInt32 {
        let bits = value == 0 ? 0 : value.bitPattern
        switch order {
        case .magnitude:
            return ~(bits & 0x7FFF_FFFF)
        case .signed:
            let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
            return ~ascending
        }
    }

    /// A 0/1 mask keeping the `count` most important features.
    public func keepMask(top count: Int) -> [Float] {
        var mask = [Float](repeating: 0, count: order.count)
        for index in order.prefix(max(0, min(count, order.count))) { mask[index] = 1 }
        return mask
    }

    /// Number of features in the top `fraction`: `floor(fraction * count)`, with a small
    /// allowance so that `k / K` of `K * n` features is exactly `k * n`.
    public func count(fraction: Double) -> Int {
        Int((fraction * Double(order.count) + 1e-9).rounded(.down))
    }
}
