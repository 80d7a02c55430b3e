import Foundation

/// The part of a batch one process runs: shard `index` of `count`, and where that came from.
public struct BatchShard: Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int
    /// What set it: the options, a scheduler's environment, or the default of one shard.
    public let origin: String

    public init(index: Int, count: Int, origin: String) {
        (self.index, self.count, self.origin) = (index, count, origin)
    }

    public var description: String { "shard \(index) of \(count) (\(origin))" }

    /// The most shards a batch is cut into.
    public static let maximumCount = 100_000

    /// The variable a Kubernetes Indexed Job sets to its `completions` for wam (Kubernetes
    /// gives each pod its index but not the count).
    public static let kubernetesCountVariable = "WAM_SHARD_COUNT"

    /// The shard from `--shard-index`/`--shard-count` when given, else from the environment of
    /// a Slurm job array, a Kubernetes Indexed Job or an AWS Batch array job, else 0 of 1.
    /// - Throws: naming the option or variable, when they are malformed, out of range,
    ///   contradict each other or more than one scheduler claims the process.
    public static func resolve(index: Int?, count: Int?, environment: [String: String]) throws(WorkflowError) -> BatchShard {
        if let count { try checkCount(count, "--shard-count") }
        if let index {
            guard let count else { throw WorkflowError(source: "--shard-index", reason: "needs --shard-count") }
            return try checked(BatchShard(index: index, count: count, origin: "--shard-index"), "--shard-index")
        }
        let engines = try [slurm(environment), kubernetes(environment, count: count), aws(environment)].compactMap { $0 }
        guard engines.count <= 1 else {
            throw WorkflowError(
                source: "environment",
                reason: "\(engines.map(\.origin).joined(separator: " and ")) both set a task index; give --shard-index and --shard-count")
        }
        guard let shard = engines.first else {
            guard count == nil || count == 1 else {
                throw WorkflowError(
                    source: "--shard-count",
                    reason:
                        "needs --shard-index, or the index a scheduler sets (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX)")
            }
            return BatchShard(index: 0, count: 1, origin: "one shard")
        }
        if let count, count != shard.count {
            throw WorkflowError(source: "--shard-count", reason: "is \(count), but the \(shard.origin) has \(shard.count) tasks")
        }
        return shard
    }

    /// Slurm arrays: `--array=A-B[:S]` gives task `(ID - A) / S` of `(B - A) / S + 1`. Arrays that
    /// are not one range (`--array=1,4,9`) have a count that says so, and are refused.
    private static func slurm(_ environment: [String: String]) throws(WorkflowError) -> BatchShard? {
        guard let id = try integer("SLURM_ARRAY_TASK_ID", environment) else { return nil }
        let origin = "Slurm array"
        let taskCount = try integer("SLURM_ARRAY_TASK_COUNT", environment)
        guard let minimum = try integer("SLURM_ARRAY_TASK_MIN", environment), let maximum = try integer("SLURM_ARRAY_TASK_MAX", environment)
        else {
            guard let taskCount else {
                throw WorkflowError(source: "SLURM_ARRAY_TASK_ID", reason: "is set without SLURM_ARRAY_TASK_MIN/MAX or _COUNT")
            }
            return try checked(BatchShard(index: id, count: taskCount, origin: origin), "SLURM_ARRAY_TASK_ID")
        }
        let step = try integer("SLURM_ARRAY_TASK_STEP", environment) ?? 1
        guard step >= 1, minimum <= maximum, (minimum...maximum).contains(id), (id - minimum) % step == 0 else {
            throw WorkflowError(
                source: "SLURM_ARRAY_TASK_ID",
                reason: "\(id) is not a task of the range \(minimum)-\(maximum):\(step) that SLURM_ARRAY_TASK_MIN/MAX/STEP give")
        }
        let span = (maximum - minimum) / step
        guard span < maximumCount else {
            throw WorkflowError(
                source: "SLURM_ARRAY_TASK_MAX", reason: "\(span) or more shards in \(minimum)-\(maximum):\(step); expected 1...\(maximumCount)")
        }
        let count = span + 1
        if let taskCount, taskCount != count {
            throw WorkflowError(
                source: "SLURM_ARRAY_TASK_COUNT",
                reason: "\(taskCount) tasks in \(minimum)-\(maximum):\(step): the array is not one range (e.g. --array=1,4,9); "
                    + "give --shard-index and --shard-count")
        }
        return try checked(BatchShard(index: (id - minimum) / step, count: count, origin: origin), "SLURM_ARRAY_TASK_ID")
    }

    /// Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` of `--shard-count` or `WAM_SHARD_COUNT`.
    private static func kubernetes(_ environment: [String: String], count: Int?) throws(WorkflowError) -> BatchShard? {
        guard let index = try integer("JOB_COMPLETION_INDEX", environment) else { return nil }
        let variable = try integer(kubernetesCountVariable, environment)
        guard let total = count ?? variable else {
            throw WorkflowError(
                source: "JOB_COMPLETION_INDEX",
                reason: "is set, but not the number of shards: give --shard-count or set \(kubernetesCountVariable) to the Job's completions")
        }
        try checkCount(total, kubernetesCountVariable)
        return try checked(BatchShard(index: index, count: total, origin: "Kubernetes Indexed Job"), "JOB_COMPLETION_INDEX")
    }

    /// AWS Batch array jobs: `AWS_BATCH_JOB_ARRAY_INDEX` of `AWS_BATCH_JOB_ARRAY_SIZE`.
    private static func aws(_ environment: [String: String]) throws(WorkflowError) -> BatchShard? {
        guard let index = try integer("AWS_BATCH_JOB_ARRAY_INDEX", environment) else { return nil }
        guard let size = try integer("AWS_BATCH_JOB_ARRAY_SIZE", environment) else {
            throw WorkflowError(source: "AWS_BATCH_JOB_ARRAY_INDEX", reason: "is set without AWS_BATCH_JOB_ARRAY_SIZE")
        }
        try checkCount(size, "AWS_BATCH_JOB_ARRAY_SIZE")
        return try checked(BatchShard(index: index, count: size, origin: "AWS Batch array"), "AWS_BATCH_JOB_ARRAY_INDEX")
    }

    private static func integer(_ name: String, _ environment: [String: String]) throws(WorkflowError) -> Int? {
        guard let text = environment[name] else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            throw WorkflowError(source: name, reason: "'\(text.prefix(40))' is not a whole number of 0 or more")
        }
        return value
    }

    private static func checkCount(_ count: Int, _ source: String) throws(WorkflowError) {
        guard (1...maximumCount).contains(count) else {
            throw WorkflowError(source: source, reason: "\(count) shards; expected 1...\(maximumCount)")
        }
    }

    private static func checked(_ shard: BatchShard, _ source: String) throws(WorkflowError) -> BatchShard {
        try checkCount(shard.count, source)
        guard shard.index < shard.count else {
            throw WorkflowError(source: source, reason: "index \(shard.index) is not below the \(shard.count) shards")
        }
        return shard
    }
}
