import Dispatch

/// How many threads a loop may spread over. The engine hands each worker its own value so that
/// nested loops never oversubscribe the cores.
public struct Parallelism: Sendable, Equatable {
    /// Number of threads (1 = run on the caller's thread).
    public let threads: Int

    /// A budget of `threads` threads (at least one).
    public init(threads: Int) {
        self.threads = max(1, threads)
    }

    /// Runs on the caller's thread only.
    public static let serial = Parallelism(threads: 1)

    /// Calls `body(worker, range)` once per worker with contiguous, balanced slices of `0..<count`;
    /// workers run concurrently when there is more than one. Slices are never empty.
    public func forEachSlice(of count: Int, _ body: @Sendable (_ worker: Int, _ range: Range<Int>) -> Void) {
        let workers = min(threads, count)
        guard workers > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            body(worker, Self.slice(worker, of: workers, count: count))
        }
    }

    /// The `worker`-th of `workers` balanced contiguous slices of `0..<count`.
    static func slice(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
        (worker * count / workers)..<((worker + 1) * count / workers)
    }
}
