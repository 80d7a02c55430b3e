/// Copies rectangular boxes between row-major arrays of the same rank.
enum BoxCopy {
    /// The box of `size` at `origin` of `source` (shape `shape`), as a contiguous array.
    static func extract<T>(_ source: [T], shape: [Int], origin: [Int], size: [Int]) -> [T] {
        var result: [T] = []
        result.reserveCapacity(size.reduce(1, *))
        forEachRun(shape: shape, origin: origin, size: size) { start, length in
            result.append(contentsOf: source[start..<(start + length)])
        }
        return result
    }

    /// Writes contiguous `box` (shape `size`) into `target` (shape `shape`) at `origin`.
    static func insert<T>(_ box: ArraySlice<T>, shape size: [Int], into target: inout [T], shape: [Int], origin: [Int]) {
        var read = box.startIndex
        forEachRun(shape: shape, origin: origin, size: size) { start, length in
            target.replaceSubrange(start..<(start + length), with: box[read..<(read + length)])
            read += length
        }
    }

    /// Calls `body(flatStart, length)` for each contiguous run (along the last axis) of the box.
    private static func forEachRun(shape: [Int], origin: [Int], size: [Int], _ body: (Int, Int) -> Void) {
        let rank = shape.count
        guard size.allSatisfy({ $0 > 0 }) else { return }
        let strides = (0..<rank).map { shape[($0 + 1)...].reduce(1, *) }
        var index = Array(repeating: 0, count: rank)
        while true {
            var start = 0
            for axis in 0..<rank { start += (origin[axis] + index[axis]) * strides[axis] }
            body(start, size[rank - 1])
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < size[axis] { break }
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}
