/// Features ordered by `|a|`, largest first, ties by index (METHOD.md section 5).
public struct Ranking: Sendable {
    /// Feature indices, most important first.
    public let order: [Int]

    public init(_ attribution: [Float]) {
        // Magnitudes order like their bit patterns, so one integer per feature sorts it: the
        // complemented magnitude (larger first) above the index (lower first among equals).
        var keys = attribution.enumerated().map { UInt64(~abs($0.element).bitPattern) << 32 | UInt64($0.offset) }
        keys.sort()
        order = keys.map { Int($0 & 0xFFFF_FFFF) }
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
