/// How an `InferenceEngine` spends threads and memory.
public struct EngineOptions: Sendable, Equatable {
    /// Threads used per call: independent chunks of a batch run on separate threads, and a
    /// single chunk spreads its convolutions and large loops over them. OpenBLAS itself runs
    /// single-threaded inside the engine's workers.
    public var threads: Int
    /// The largest number of examples one pass carries; bigger batches are split. With the
    /// default 1 every example runs alone, so its results never depend on the batch it came in,
    /// bit for bit. Larger values raise memory linearly (times `threads`) and may change the last
    /// bits (OpenBLAS picks kernels by matrix size); they pay off only for models dominated by
    /// fully connected layers.
    public var maxBatch: Int

    /// Options with `threads` workers and passes of at most `maxBatch` examples.
    public init(threads: Int = 1, maxBatch: Int = 1) {
        self.threads = threads
        self.maxBatch = maxBatch
    }

    func validated() throws(InferenceError) -> EngineOptions {
        guard threads >= 1 else { throw .invalidOptions("threads = \(threads); expected 1 or more") }
        guard maxBatch >= 1 else { throw .invalidOptions("maxBatch = \(maxBatch); expected 1 or more") }
        return self
    }
}
