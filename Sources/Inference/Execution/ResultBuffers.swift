import NDArray

/// Where the results of a batch collect while chunks run on several workers. Each worker
/// writes only its chunk's examples, so the writes never overlap.
final class ResultBuffers: @unchecked Sendable {
    /// One kind of result.
    enum Destination: Hashable {
        case output
        case inputGradient
        case activation(String)
        case gradient(String)
    }

    private let count: Int
    private var buffers: [Destination: (storage: UnsafeMutableBufferPointer<Float>, exampleShape: [Int])] = [:]

    /// Room for `count` examples of each destination, given its per-example shape.
    init(count: Int, exampleShapes: [Destination: [Int]]) {
        self.count = count
        for (destination, shape) in exampleShapes {
            let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: count * elementCount(shape))
            storage.initialize(repeating: 0)
            buffers[destination] = (storage, shape)
        }
    }

    deinit {
        for (storage, _) in buffers.values { storage.deallocate() }
    }

    /// Copies the first `examples.count` examples of `source` (a chunk's tensor) to `examples`.
    func store(_ source: UnsafeMutableBufferPointer<Float>, as destination: Destination, examples: Range<Int>) {
        let (storage, shape) = buffers[destination]!
        let perExample = elementCount(shape)
        let target = UnsafeMutableBufferPointer(rebasing: storage[(examples.lowerBound * perExample)..<(examples.upperBound * perExample)])
        _ = target.update(fromContentsOf: source[0..<target.count])
    }

    /// The collected tensor `[count] + exampleShape`, `nil` for a destination without room.
    func array(_ destination: Destination) -> NDArray<Float>? {
        buffers[destination].map { NDArray(shape: [count] + $0.exampleShape, storage: Array($0.storage)) }
    }
}
