import NDArray
import Synchronization

/// Runs a model's programs on batches: forward passes, vector-Jacobian products, named
/// activations and gradients. Splits batches into chunks of at most `maxBatch` examples, runs
/// chunks on `threads` workers (a single chunk spreads its convolutions over them instead), and
/// reuses each worker's memory across calls.
///
/// Thread-safe: any number of callers may share one engine.
public final class InferenceEngine: InspectableClassifier {
    /// Shape of one example (the model input without its batch axis).
    public let inputShape: [Int]
    /// Shape of one example's output (the output without its batch axis).
    public let outputShape: [Int]
    /// The options the engine runs with.
    public let options: EngineOptions
    /// Names of the tensors `evaluate` can return activations and gradients for.
    public let tensorNames: [String]
    /// The held inputs every `evaluate` call must give values for (name and whole shape).
    public let heldInputs: [(name: String, shape: [Int])]

    /// The first operation (for one example) and an engine for the rest of the program, when the
    /// program starts with an affine operation alone reading the input (see `AffineHead`).
    let affineHead: (head: any AffineOperation, tail: InferenceEngine)?

    private let compiler: any ProgramCompiler
    private let programs = Mutex<[Int: Program]>([:])
    private let plans = Mutex<[PlanKey: ExecutionPlan]>([:])
    private let workspaces = Mutex(WorkspacePool())

    private struct PlanKey: Hashable {
        let batchSize: Int
        let request: PassRequest
    }

    private struct WorkspaceKey: Hashable {
        let plan: PlanKey
        let threads: Int
    }

    /// An engine for `compiler`'s programs; compiles the program for one chunk to learn the
    /// output shape (and to surface compile errors now).
    public init(compiler: some ProgramCompiler, options: EngineOptions = EngineOptions()) throws {
        self.options = try options.validated()
        self.compiler = compiler
        inputShape = compiler.exampleShape
        BLASRuntime.prepare()
        let batchSize = compiler.fixedBatchSize ?? 1
        let program = try compiler.program(batchSize: batchSize)
        guard program.output.shape.first == batchSize else {
            throw InferenceError.invalidShapes(
                operation: "model output", shapes: [program.output.shape],
                expected: "a batch-first output with \(batchSize) rows")
        }
        outputShape = Array(program.output.shape.dropFirst())
        tensorNames = program.namedTensors.keys.sorted()
        heldInputs = program.heldInputs.map { ($0.name, $0.handle.shape) }
        guard heldInputs.isEmpty || compiler.fixedBatchSize == 1 else {
            throw InferenceError.invalidOptions("a program with held inputs must have a fixed batch size of 1")
        }
        programs.withLock { $0[batchSize] = program }
        if compiler.fixedBatchSize == nil, let split = AffineHead(splitting: program) {
            let tail = TailCompiler(base: compiler, exampleShape: Array(split.head.outputShape.dropFirst()))
            affineHead = (split.head, try InferenceEngine(compiler: tail, options: options))
        } else {
            affineHead = nil
        }
    }

    /// Number of classes: the elements of one example's output.
    public var classCount: Int { elementCount(outputShape) }

    /// Logits `[N] + outputShape` of a batch `[N] + inputShape`.
    public func logits(_ batch: NDArray<Float>) throws -> NDArray<Float> {
        try evaluate(batch, EvaluationRequest()).output
    }

    /// Logits and the gradient of `logits[n, classes[n]]` with respect to `batch[n]`, per example.
    public func inputGradient(_ batch: NDArray<Float>, classes: [Int]) throws -> (logits: NDArray<Float>, gradient: NDArray<Float>) {
        let result = try evaluate(batch, EvaluationRequest(cotangent: .classes(classes)))
        return (result.output, result.inputGradient!)
    }

    /// Output and the vector-Jacobian product of `cotangent` (output-shaped) with respect to the input.
    public func vectorJacobianProduct(_ batch: NDArray<Float>, cotangent: NDArray<Float>) throws -> (
        output: NDArray<Float>, inputGradient: NDArray<Float>
    ) {
        let result = try evaluate(batch, EvaluationRequest(cotangent: .tensor(cotangent)))
        return (result.output, result.inputGradient!)
    }

    /// Runs `batch` forward (and backward when `request` has a cotangent); see `EvaluationRequest`.
    public func evaluate(_ batch: NDArray<Float>, _ request: EvaluationRequest) throws -> Evaluation {
        try evaluate(batch, request, inputGradientSum: nil)
    }

    /// Adds the gradients of logit `target` with respect to each example of `batch` to `sum`
    /// (one example's size), one example after the other in batch order.
    func accumulateInputGradients(_ batch: NDArray<Float>, target: Int, into sum: inout [Float]) throws {
        let request = EvaluationRequest(cotangent: .classes(Array(repeating: target, count: batch.shape.first ?? 0)))
        sum = try evaluate(batch, request, inputGradientSum: sum).inputGradient!.storage
    }

    /// `evaluate`, with the input gradients summed onto `inputGradientSum` when it is given.
    private func evaluate(_ batch: NDArray<Float>, _ request: EvaluationRequest, inputGradientSum: [Float]?) throws -> Evaluation {
        guard batch.rank == inputShape.count + 1, Array(batch.shape.dropFirst()) == inputShape else {
            throw InferenceError.inputShapeMismatch(expected: [-1] + inputShape, actual: batch.shape)
        }
        let count = batch.shape[0]
        let held = try heldValues(request.heldInputs)
        let cotangent = try cotangentStorage(request.cotangent, count: count)
        guard cotangent != nil || request.gradients.isEmpty else {
            throw InferenceError.invalidOptions("gradients of \(request.gradients) need a cotangent")
        }
        let chunks = chunkSchedule(count: count)
        var jobs: [Int: Job] = [:]
        for batchSize in Set(chunks.map(\.batchSize)) {
            jobs[batchSize] = try job(batchSize: batchSize, request: request, backward: cotangent != nil)
        }
        var shapes: [ResultBuffers.Destination: [Int]] = [.output: outputShape]
        if cotangent != nil { shapes[.inputGradient] = inputShape }
        for (destination, shape) in jobs.values.first?.tensorShapes ?? [:] { shapes[destination] = shape }
        let results = ResultBuffers(
            count: count, exampleShapes: shapes,
            sum: inputGradientSum.map { (.inputGradient, $0) })

        let workers = min(options.threads, chunks.count)
        let parallelism = workers > 1 ? Parallelism.serial : Parallelism(threads: options.threads)
        let jobsBySize = jobs
        batch.storage.withUnsafeBufferPointer { batchStorage in
            (cotangent ?? []).withUnsafeBufferPointer { cotangentStorage in
                nonisolated(unsafe) let input = batchStorage
                nonisolated(unsafe) let seed = cotangent == nil ? nil : cotangentStorage
                // Workers take the next chunk as they finish one, so a slowed worker holds up nothing.
                let next = Atomic<Int>(0)
                Parallelism(threads: workers).forEachSlice(of: workers) { _, _ in
                    while true {
                        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < chunks.count else { return }
                        self.run(
                            chunks[index], job: jobsBySize[chunks[index].batchSize]!, parallelism: parallelism,
                            input: input, held: held, cotangent: seed, results: results)
                    }
                }
            }
        }
        var evaluation = Evaluation(
            output: results.array(.output)!, inputGradient: results.array(.inputGradient),
            activations: [:], gradients: [:])
        for name in request.activations { evaluation.activations[name] = results.array(.activation(name)) }
        for name in request.gradients { evaluation.gradients[name] = results.array(.gradient(name)) }
        return evaluation
    }

    // MARK: - Chunks

    private struct Chunk {
        let examples: Range<Int>
        let batchSize: Int
    }

    /// Balanced chunks of at most `maxBatch` examples, at least one per worker; with a fixed batch
    /// axis, chunks of exactly that size (the last one padded).
    private func chunkSchedule(count: Int) -> [Chunk] {
        if let fixed = compiler.fixedBatchSize {
            return stride(from: 0, to: count, by: fixed).map { Chunk(examples: $0..<min($0 + fixed, count), batchSize: fixed) }
        }
        guard count > 0 else { return [] }
        let chunkCount = max((count + options.maxBatch - 1) / options.maxBatch, min(count, options.threads))
        return (0..<chunkCount).map { index in
            let range = Parallelism.slice(index, of: chunkCount, count: count)
            return Chunk(examples: range, batchSize: range.count)
        }
    }

    /// The held inputs' values in program order; every one must be given with its shape.
    private func heldValues(_ given: [String: NDArray<Float>]) throws -> [[Float]] {
        if let unknown = given.keys.sorted().first(where: { name in !heldInputs.contains { $0.name == name } }) {
            throw InferenceError.unknownTensor(name: "\(unknown) (as a held input)", known: heldInputs.map(\.name))
        }
        return try heldInputs.map { name, shape in
            guard let value = given[name] else {
                throw InferenceError.invalidOptions("held input '\(name)' \(shape) needs a value")
            }
            guard value.shape == shape else {
                throw InferenceError.invalidShapes(operation: "held input '\(name)'", shapes: [value.shape], expected: "\(shape)")
            }
            return value.storage
        }
    }

    private func cotangentStorage(_ cotangent: EvaluationRequest.Cotangent?, count: Int) throws -> [Float]? {
        switch cotangent {
        case nil:
            return nil
        case let .classes(classes):
            guard classes.count == count, classes.allSatisfy({ (0..<classCount).contains($0) }) else {
                throw InferenceError.invalidClasses(classes: classes, batchSize: count, classCount: classCount)
            }
            var storage = [Float](repeating: 0, count: count * classCount)
            for (example, target) in classes.enumerated() { storage[example * classCount + target] = 1 }
            return storage
        case let .tensor(tensor):
            guard tensor.shape == [count] + outputShape else {
                throw InferenceError.cotangentShapeMismatch(expected: [count] + outputShape, actual: tensor.shape)
            }
            return tensor.storage
        }
    }

    // MARK: - Programs, plans and workspaces

    /// Everything needed to run chunks of one batch size.
    private struct Job: Sendable {
        let key: PlanKey
        let plan: ExecutionPlan
        /// Requested tensors: where each goes and which value holds it.
        let tensors: [(destination: ResultBuffers.Destination, value: Int)]
        /// Per-example shape of each requested tensor.
        let tensorShapes: [ResultBuffers.Destination: [Int]]
    }

    private func job(batchSize: Int, request: EvaluationRequest, backward: Bool) throws -> Job {
        let program = try self.program(batchSize: batchSize)
        var tensors: [(destination: ResultBuffers.Destination, value: Int)] = []
        var shapes: [ResultBuffers.Destination: [Int]] = [:]
        let named =
            request.activations.map { ($0, ResultBuffers.Destination.activation($0)) }
            + request.gradients.map { ($0, ResultBuffers.Destination.gradient($0)) }
        for (name, destination) in named {
            guard let handle = program.namedTensors[name] else {
                throw InferenceError.unknownTensor(name: name, known: tensorNames)
            }
            // A program of one example returns any tensor, batch-first or not (a state), as one row.
            let batchFirst = handle.shape.first == batchSize
            guard batchFirst || compiler.fixedBatchSize == 1 else {
                throw InferenceError.invalidShapes(
                    operation: "tensor '\(name)'", shapes: [handle.shape],
                    expected: "a batch-first tensor with \(batchSize) rows")
            }
            tensors.append((destination, handle.id))
            shapes[destination] = batchFirst ? Array(handle.shape.dropFirst()) : handle.shape
        }
        let kept = { (isGradient: Bool) in
            tensors.compactMap { entry -> Int? in
                if case .gradient = entry.destination { return isGradient ? entry.value : nil }
                return isGradient ? nil : entry.value
            }.sorted()
        }
        let key = PlanKey(
            batchSize: batchSize,
            request: PassRequest(backward: backward, keptValues: kept(false), keptGradients: kept(true)))
        let plan = try plans.withLock { cache throws(InferenceError) in
            if let plan = cache[key] { return plan }
            let plan = try ExecutionPlan(program: program, request: key.request)
            cache[key] = plan
            return plan
        }
        return Job(key: key, plan: plan, tensors: tensors, tensorShapes: shapes)
    }

    private func program(batchSize: Int) throws -> Program {
        if let program = programs.withLock({ $0[batchSize] }) { return program }
        let program = try compiler.program(batchSize: batchSize)
        guard program.output.shape == [batchSize] + outputShape else {
            throw InferenceError.invalidShapes(
                operation: "model output", shapes: [program.output.shape],
                expected: "\([batchSize] + outputShape) for a batch of \(batchSize)")
        }
        programs.withLock { $0[batchSize] = program }
        return program
    }

    /// Idle workspaces per plan, and how many are out at once: as many are kept as were ever in
    /// use together (callers on several threads sharing the engine, such as wamd's workers or
    /// `wam batch --jobs`), so that no pass allocates and clears a workspace of its own.
    private struct WorkspacePool {
        var idle: [WorkspaceKey: [Workspace]] = [:]
        var out = 0
        var mostOut = 0
    }

    private func checkOut(_ key: WorkspaceKey, plan: ExecutionPlan) -> Workspace {
        let idle = workspaces.withLock { pool in
            pool.out += 1
            pool.mostOut = max(pool.mostOut, pool.out)
            return pool.idle[key]?.popLast()
        }
        return idle ?? Workspace(plan: plan, parallelism: Parallelism(threads: key.threads))
    }

    private func checkIn(_ workspace: Workspace, key: WorkspaceKey) {
        workspaces.withLock { pool in
            pool.out -= 1
            if pool.idle[key, default: []].count < max(options.threads, pool.mostOut) { pool.idle[key, default: []].append(workspace) }
        }
    }

    // MARK: - Running one chunk

    /// Calls `body` with the rows of `examples` (`size` values each) of `values`, zero-padded to
    /// `batchSize` rows when a fixed-batch model needs more than the chunk holds.
    private static func withPadded(
        _ values: UnsafeBufferPointer<Float>, examples: Range<Int>, size: Int, batchSize: Int,
        _ body: (UnsafeBufferPointer<Float>) -> Void
    ) {
        let rows = UnsafeBufferPointer(rebasing: values[(examples.lowerBound * size)..<(examples.upperBound * size)])
        guard examples.count < batchSize else { return body(rows) }
        var padded = [Float](repeating: 0, count: batchSize * size)
        padded.replaceSubrange(0..<rows.count, with: rows)
        padded.withUnsafeBufferPointer(body)
    }

    private func run(
        _ chunk: Chunk, job: Job, parallelism: Parallelism, input: UnsafeBufferPointer<Float>, held: [[Float]],
        cotangent: UnsafeBufferPointer<Float>?, results: ResultBuffers
    ) {
        let key = WorkspaceKey(plan: job.key, threads: parallelism.threads)
        let workspace = checkOut(key, plan: job.plan)
        defer { checkIn(workspace, key: key) }
        let program = job.plan.program
        let inputCount = elementCount(inputShape)
        let examples = chunk.examples
        // Rows of the caller's batch outlive the pass; a padded copy does not.
        let padded = examples.count < chunk.batchSize
        Self.withPadded(input, examples: examples, size: inputCount, batchSize: chunk.batchSize) {
            workspace.runForward(input: $0, borrowing: !padded, held: held)
        }
        results.store(workspace.value(program.output.id)!, as: .output, examples: examples)
        for (destination, value) in job.tensors {
            if case .activation = destination { results.store(workspace.value(value)!, as: destination, examples: examples) }
        }
        guard let cotangent else { return }
        Self.withPadded(cotangent, examples: examples, size: classCount, batchSize: chunk.batchSize) {
            workspace.runBackward(cotangent: $0)
        }
        if let gradient = workspace.gradient(program.input.id) {
            results.store(gradient, as: .inputGradient, examples: examples)
        }
        for (destination, value) in job.tensors {
            if case .gradient = destination { results.store(workspace.gradient(value)!, as: destination, examples: examples) }
        }
    }
}
