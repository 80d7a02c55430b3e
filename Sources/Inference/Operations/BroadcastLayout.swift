/// NumPy broadcasting of two operands to a common shape, as strided loops.
public enum Broadcasting {
    /// The shape two shapes broadcast to, `nil` when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let a = Array(repeating: 1, count: rank - a.count) + a
        let b = Array(repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        for (x, y) in zip(a, b) {
            guard x == y || x == 1 || y == 1 else { return nil }
            result.append(x == 1 ? y : x)
        }
        return result
    }
}

/// The loops of an elementwise operation on two broadcast operands: axes of the output are
/// merged where both operands are contiguous (or both broadcast), leaving a short odometer over
/// outer axes and one inner run whose operand strides are 0 or 1.
struct BroadcastLayout: Sendable {
    /// Merged output extents, outermost first; the last is the inner run.
    private let extents: [Int]
    private let stridesA: [Int]
    private let stridesB: [Int]

    init(_ a: [Int], _ b: [Int], output: [Int]) {
        let rank = output.count
        func strides(_ shape: [Int]) -> [Int] {
            let padded = Array(repeating: 1, count: rank - shape.count) + shape
            var strides = Array(repeating: 0, count: rank)
            var running = 1
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                strides[axis] = padded[axis] == 1 ? 0 : running
                running *= padded[axis]
            }
            return strides
        }
        let (fullA, fullB) = (strides(a), strides(b))
        var extents: [Int] = [], stridesA: [Int] = [], stridesB: [Int] = []
        for axis in 0..<rank where output[axis] != 1 {
            let (extent, sa, sb) = (output[axis], fullA[axis], fullB[axis])
            if let last = extents.indices.last, stridesA[last] == sa * extent, stridesB[last] == sb * extent {
                extents[last] *= extent
                stridesA[last] = sa
                stridesB[last] = sb
            } else {
                extents.append(extent)
                stridesA.append(sa)
                stridesB.append(sb)
            }
        }
        self.extents = extents.isEmpty ? [1] : extents
        self.stridesA = stridesA.isEmpty ? [0] : stridesA
        self.stridesB = stridesB.isEmpty ? [0] : stridesB
    }

    /// Calls `body(outputOffset, offsetA, offsetB, count, strideA, strideB)` for each inner run.
    @inline(__always)
    func forEachRun(_ body: (_ output: Int, _ a: Int, _ b: Int, _ count: Int, _ strideA: Int, _ strideB: Int) -> Void) {
        let inner = extents.count - 1
        let count = extents[inner], strideA = stridesA[inner], strideB = stridesB[inner]
        var index = Array(repeating: 0, count: inner)
        var (output, a, b) = (0, 0, 0)
        while true {
            body(output, a, b, count, strideA, strideB)
            output += count
            var axis = inner - 1
            while axis >= 0 {
                index[axis] += 1
                a += stridesA[axis]
                b += stridesB[axis]
                if index[axis] < extents[axis] { break }
                a -= stridesA[axis] * extents[axis]
                b -= stridesB[axis] * extents[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}
