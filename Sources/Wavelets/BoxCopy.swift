/// Copies rectangular boxes between row-major arrays of the same rank.
enum BoxCopy {
    /// Copies the box of `size` at `origin` of `source` (shape `shape`) to contiguous `target`.
    static func extract<T>(
        from source: UnsafePointer<T>, shape: [Int], origin: [Int], size: [Int],
        into target: UnsafeMutablePointer<T>
    ) {
        var written = 0
        forEachRun(shape: shape, origin: origin, size: size) { start, length in
            (target + written).update(from: source + start, count: length)
            written += length
        }
    }

    /// Copies contiguous `box` (shape `size`) into `target` (shape `shape`) at `origin`.
    static func insert<T>(
        _ box: UnsafePointer<T>, size: [Int], into target: UnsafeMutablePointer<T>,
        shape: [Int], origin: [Int]
    ) {
        var read = 0
        forEachRun(shape: shape, origin: origin, size: size) { start, length in
            (target + start).update(from: box + read, count: length)
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
