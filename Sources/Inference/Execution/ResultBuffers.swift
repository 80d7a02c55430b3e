import NDArray
import Synchronization

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
    /// The destination that holds the sum over the examples instead of each example.
    private let summed: Destination?
    /// The examples added to the sum so far, and the chunks that finished before their turn
    /// (copied, by first example).
    private let summation = Mutex<(next: Int, waiting: [Int: [Float]])>((0, [:]))

    /// Room for `count` examples of each destination, given its per-example shape; for the
    /// destination of `sum`, one example that starts at `sum.start` and adds every example.
    init(count: Int, exampleShapes: [Destination: [Int]], sum: (destination: Destination, start: [Float])? = nil) {
        self.count = count
        summed = sum?.destination
        for (destination, shape) in exampleShapes {
            let rows = destination == summed ? 1 : count
            let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * elementCount(shape))
            if let sum, destination == sum.destination {
                _ = storage.initialize(fromContentsOf: sum.start)
            } else {
                storage.initialize(repeating: 0)
            }
            buffers[destination] = (storage, shape)
        }
    }

    deinit {
        for (storage, _) in buffers.values { storage.deallocate() }
    }

    /// Copies the first `examples.count` examples of `source` (a chunk's tensor) to `examples`,
    /// or adds them to the sum of a summed destination.
    func store(_ source: UnsafeMutableBufferPointer<Float>, as destination: Destination, examples: Range<Int>) {
        let (storage, shape) = buffers[destination]!
        let perExample = elementCount(shape)
        if destination == summed {
            return add(UnsafeBufferPointer(rebasing: source[0..<(examples.count * perExample)]), to: storage, first: examples.lowerBound)
        }
        let target = UnsafeMutableBufferPointer(rebasing: storage[(examples.lowerBound * perExample)..<(examples.upperBound * perExample)])
        _ = target.update(fromContentsOf: source[0..<target.count])
    }

    /// The collected tensor `[count] + exampleShape` (`[1] + exampleShape` when summed), `nil`
    /// for a destination without room.
    func array(_ destination: Destination) -> NDArray<Float>? {
        buffers[destination].map { NDArray(shape: [destination == summed ? 1 : count] + $0.exampleShape, storage: Array($0.storage)) }
    }

    /// Adds `rows` (consecutive examples from `first` on) to `sum` once every earlier example is
    /// in, so the sum runs in example order whichever chunk finishes first.
    private func add(_ rows: UnsafeBufferPointer<Float>, to sum: UnsafeMutableBufferPointer<Float>, first: Int) {
        let size = max(1, sum.count)
        summation.withLock { state in
            guard state.next == first else {
                state.waiting[first] = Array(rows)
                return
            }
            Self.addRows(rows, into: sum)
            state.next += rows.count / size
            while let waiting = state.waiting.removeValue(forKey: state.next) {
                waiting.withUnsafeBufferPointer { Self.addRows($0, into: sum) }
                state.next += waiting.count / size
            }
        }
    }

    private static func addRows(_ rows: UnsafeBufferPointer<Float>, into sum: UnsafeMutableBufferPointer<Float>) {
        let size = sum.count
        for row in 0..<(rows.count / max(1, size)) {
            let source = rows.baseAddress! + row * size
            for index in 0..<size { sum[index] += source[index] }
        }
    }
}
