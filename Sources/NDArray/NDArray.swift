/// A dense n-dimensional array in row-major (C) order.
///
/// The one array type shared by the wavelet core, the inference engine and file I/O. A rank-0
/// array (empty `shape`) holds one element.
public struct NDArray<Element: Sendable>: Sendable {
    /// Extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `storage.count == shape.product`.
    public var storage: [Element]

    /// Wraps `storage` with `shape`; the counts must agree.
    public init(shape: [Int], storage: [Element]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "NDArray shape \(shape) has a negative extent")
        precondition(
            shape.reduce(1, *) == storage.count,
            "NDArray shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// An array of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Element) {
        self.init(shape: shape, storage: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// A one-dimensional array holding `values`.
    public init(_ values: [Element]) {
        self.init(shape: [values.count], storage: values)
    }

    /// Number of axes.
    public var rank: Int { shape.count }

    /// Number of elements.
    public var count: Int { storage.count }

    /// Row-major strides, in elements.
    public var strides: [Int] { NDArrayGeometry.strides(of: shape) }

    /// The element at a multi-index (one index per axis).
    public subscript(index: [Int]) -> Element {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> NDArray {
        NDArray(shape: newShape, storage: storage)
    }

    /// Applies `transform` to every element.
    public func map<Other: Sendable>(_ transform: (Element) throws -> Other) rethrows -> NDArray<Other> {
        NDArray<Other>(shape: shape, storage: try storage.map(transform))
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) has the wrong rank for shape \(shape)")
        var flat = 0
        for (axis, position) in index.enumerated() {
            precondition(position >= 0 && position < shape[axis], "index \(index) is outside shape \(shape)")
            flat = flat * shape[axis] + position
        }
        return flat
    }
}

extension NDArray: Equatable where Element: Equatable {}

/// Shape arithmetic shared by the modules that walk arrays.
public enum NDArrayGeometry {
    /// Row-major strides of `shape`, in elements.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// Views `shape` as `(outer, extent, inner)` around `axis`: the number of lines along the axis
    /// is `outer * inner`, consecutive elements of a line are `inner` apart.
    public static func split(_ shape: [Int], around axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// Resolves a possibly negative axis (numpy style, `-1` is the last) against `rank`;
    /// `nil` when it is out of range.
    public static func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
        let resolved = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(resolved) ? resolved : nil
    }
}
