import ArgumentParser
import AtomicFiles
import CommandSupport
import Foundation
import Synchronization
import Workflow

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Explain an archive of inputs, sharded over the tasks of a job array, resumably; then merge the shards.",
        subcommands: [BatchRun.self, BatchMerge.self],
        defaultSubcommand: BatchRun.self
    )
}

struct BatchRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Explain this task's share of the inputs (the default subcommand).",
        discussion: """
            Every task of a batch is given the same inputs, --out and explanation options. The inputs \
            are cut into shards, longest first, balanced by duration; this process explains shard I of N: \
            --shard-index/--shard-count, or from a Slurm array (SLURM_ARRAY_TASK_ID with _MIN/_MAX/_STEP), \
            a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shard-count or WAM_SHARD_COUNT) or an AWS \
            Batch array (AWS_BATCH_JOB_ARRAY_INDEX/_SIZE). Each input's results go to \
            OUT/results/<name>-<hash of its bytes, path and the settings>/, moved there whole when done, \
            so a rerun or a retried task skips what is complete and redoes the rest; SmoothGrad's seed is \
            derived from the input's bytes, so a retry writes the same bytes. The shard's rows go to \
            OUT/shards/shard-I-of-N.jsonl; `wam batch merge OUT` joins them. Exit status: 0; 1-63, the number \
            of inputs that failed (63: 63 or more); 64, bad options; 101, the shard could not run (inputs, \
            output folder, model, another batch's claim, the shard running elsewhere).
            """
    )

    @Option(help: "A text file listing the inputs, one path per line (relative paths from its folder; # starts a comment).")
    var manifest: String?

    @Option(help: "A folder of inputs instead: its sound files, .png and .npy, recursively, sorted by path.")
    var data: String?

    @Option(help: "Output folder, shared by every shard.")
    var out: String

    @Option(help: "This process's shard, 0-based; default: from the scheduler's environment, or 0.")
    var shardIndex: Int?

    @Option(help: "The number of shards; default: from the scheduler's environment, or 1.")
    var shardCount: Int?

    @Option(help: "Inputs explained at once in this process, sharing one loaded model.")
    var jobs: Int = 1

    @OptionGroup var options: ExplainOptions

    func validate() throws {
        guard (manifest == nil) != (data == nil) else { throw ValidationError("give the inputs with --manifest FILE or --data FOLDER (one of them)") }
        try Check.range(jobs, 1...64, "--jobs")
    }

    /// Exit status when the shard cannot run at all, apart from 1-63 failed inputs and 64 (usage).
    static let cannotRun: Int32 = 101

    /// The highest exit status that counts failed inputs: 64 is argument-parser's usage error.
    static let mostFailedStatus = 63

    func run() throws {
        do {
            try runShard()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(Self.cannotRun)
        }
    }

    private func runShard() throws {
        guard !out.isEmpty else { throw WorkflowError(source: "--out", reason: "is empty; expected a folder") }
        let layout = BatchLayout(root: URL(fileURLWithPath: out).standardizedFileURL)
        let inputs = try manifest.map { try BatchInputs(manifest: $0) } ?? BatchInputs(folder: data!, excluding: layout.root)
        for note in inputs.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        let shard = try BatchShard.resolve(index: shardIndex, count: shardCount, environment: ProcessInfo.processInfo.environment)
        let classifier = try options.classifier()
        var request = try options.request
        request.target = try options.target.map(classifier.classIndex)
        _ = try request.settings()
        let durations = inputs.durations()
        let claim = BatchClaim(
            tool: "wam \(WamVersion.current)", model: classifier.sha256, settings: options.recorded,
            inputs: BatchInputs.digest(paths: inputs.paths, durations: durations), inputCount: inputs.paths.count, shards: shard.count)
        try Self.stake(claim, in: layout)
        try Self.prepare(layout)
        let lock = try Self.lock(layout.shardFile(shard.index, of: shard.count, "lock"), shard: shard)
        defer { close(lock) }

        let assignment = BatchInputs.assign(durations: durations, shards: shard.count)
        let mine = inputs.paths.indices.filter { assignment[$0] == shard.index }
        let seconds = mine.compactMap { durations[$0] }.reduce(0, +)
        Self.say(
            "wam batch: \(inputs.paths.count) inputs, \(shard): \(mine.count) of them"
                + (seconds > 0 ? String(format: ", %.1f s of audio", seconds) : "") + " -> \(layout.root.path)")
        for order in mine.prefix(10) { Self.say("  \(order)  \(inputs.paths[order])") }
        if mine.count > 10 {
            Self.say("  ... and \(mine.count - 10) more (all in \(layout.shardFile(shard.index, of: shard.count).path) at the end)")
        }

        let worker = BatchWorker(
            classifier: classifier, request: request, options: options, layout: layout, shard: shard.index, settings: claim.settingsDigest)
        let rows = Mutex([Int: BatchRow]())
        let next = Atomic(0)
        let progress = Mutex(ProgressBar(total: mine.count, label: "shard \(shard.index)/\(shard.count)"))
        let logsLines = isatty(STDERR_FILENO) == 0
        DispatchQueue.concurrentPerform(iterations: min(jobs, max(mine.count, 1))) { _ in
            while true {
                let taken = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard taken < mine.count else { return }
                let order = mine[taken]
                let row = worker.explain(order: order, input: inputs.paths[order])
                rows.withLock { $0[order] = row }
                progress.withLock { bar in
                    bar.advance()
                    if logsLines { Self.say(Self.line(row, done: bar.done, of: mine.count)) }
                }
            }
        }
        progress.withLock { $0.finish() }
        let finished = rows.withLock { rows in mine.compactMap { rows[$0] } }
        var text = Data()
        for row in finished { text += try BatchLayout.line(row) }
        try AtomicFile.write(text, to: layout.shardFile(shard.index, of: shard.count))
        _ = AtomicFile.sync(layout.shardFile(shard.index, of: shard.count).path)
        _ = AtomicFile.sync(layout.shards.path)
        let failed = finished.filter { $0.status == .failed }
        let reused = finished.filter { $0.reused == true }.count
        Self.say(
            "shard \(shard.index) of \(shard.count): \(finished.count - failed.count - reused) explained, \(reused) complete before, "
                + "\(failed.count) failed; rows in \(layout.shardFile(shard.index, of: shard.count).path)")
        guard failed.isEmpty else {
            for row in failed { FileHandle.standardError.write(Data("failed: \(row.error ?? row.input)\n".utf8)) }
            throw ExitCode(Int32(min(failed.count, Self.mostFailedStatus)))
        }
    }

    /// Writes a line to standard output at once: a task's log is a file, and a killed task's
    /// log should still say how far it got.
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// One line per input for logs (a cluster task's output is a file, not a terminal).
    private static func line(_ row: BatchRow, done: Int, of total: Int) -> String {
        let what =
            switch row.status {
            case .failed: "failed"
            case .explained where row.reused == true: "complete before"
            case .explained: "\(row.windows ?? 0) windows in \(String(format: "%.1f", row.seconds ?? 0)) s"
            }
        return "[\(done)/\(total)] \(row.input): \(what)"
    }

    /// Makes OUT's folders.
    private static func prepare(_ layout: BatchLayout) throws {
        for folder in [layout.results, layout.partial, layout.shards] {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw WorkflowError(source: folder.path, reason: "cannot be created (\(FileErrorReason.describe(error)))")
            }
        }
    }

    /// Makes OUT, which must be a new or empty folder or one a batch wrote: nothing else in it is
    /// ever touched.
    private static func makeRoot(_ layout: BatchLayout) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: layout.root.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw WorkflowError(source: layout.root.path, reason: "is a file; --out must be a folder (new, or one a batch wrote)")
        }
        do {
            try FileManager.default.createDirectory(at: layout.root, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError(source: layout.root.path, reason: "cannot be created (\(FileErrorReason.describe(error)))")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.root.path)) ?? []
        let foreign = names.filter { !BatchLayout.ownNames.contains($0) && AtomicFile.target(ofTemporary: $0) != layout.claim.lastPathComponent }
        if !FileManager.default.fileExists(atPath: layout.claim.path), let first = foreign.sorted().first {
            throw WorkflowError(
                source: layout.root.path,
                reason: "holds files a batch did not write (\(first)\(foreign.count > 1 ? " and \(foreign.count - 1) more" : "")); "
                    + "--out must be a new or empty folder, or one a batch wrote")
        }
    }

    /// Writes `claim` to `batch.json` unless a shard wrote one (created whole by a link, so two
    /// shards starting at once cannot both write); refuses one that differs.
    private static func stake(_ claim: BatchClaim, in layout: BatchLayout) throws {
        try makeRoot(layout)
        let staged = AtomicFile.temporary(beside: layout.claim)
        do {
            try ResultWriter.encode(claim).write(to: staged)  // itself a temporary name: no second one beside it
        } catch {
            throw WorkflowError(source: layout.claim.path, reason: "cannot be written (\(FileErrorReason.describe(error)))")
        }
        defer { unlink(staged.path) }
        if link(staged.path, layout.claim.path) == 0 { return }
        guard errno == EEXIST else {
            throw WorkflowError(source: layout.claim.path, reason: "cannot be written (\(String(cString: strerror(errno))))")
        }
        let existing: BatchClaim
        do {
            existing = try BatchLayout.decodeClaim(try RegularFile.read(layout.claim.path, atMost: 1 << 20))
        } catch {
            throw WorkflowError(
                source: layout.claim.path, reason: "is not the claim a batch writes; --out must be a new folder or one a batch wrote")
        }
        let differences = claim.differences(from: existing)
        guard differences.isEmpty else {
            throw WorkflowError(
                source: layout.claim.path,
                reason: "this folder holds a batch made with \(differences.joined(separator: "; ")); "
                    + "run with the same inputs, model, options and shard count, or use another --out")
        }
    }

    /// An exclusive lock on `file` for the life of the process, so that one shard never runs
    /// twice at once (a requeued task beside the one it replaces).
    private static func lock(_ file: URL, shard: BatchShard) throws -> Int32 {
        let descriptor = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WorkflowError(source: file.path, reason: "cannot be opened (\(String(cString: strerror(errno))))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            guard error == EWOULDBLOCK else {
                throw WorkflowError(
                    source: file.path,
                    reason: "cannot be locked (\(String(cString: strerror(error)))): the output folder must be on a file system "
                        + "with flock across its nodes, so that a shard never runs twice at once")
            }
            throw WorkflowError(source: file.path, reason: "\(shard) is being run by another process; wait for it or stop it")
        }
        return descriptor
    }
}

/// Explains one input of a shard into its result folder, or says why it could not.
struct BatchWorker: Sendable {
    let classifier: Classifier
    let request: ExplanationRequest
    let options: ExplainOptions
    let layout: BatchLayout
    let shard: Int
    /// A digest of the model and settings, part of every result folder's name.
    let settings: String

    func explain(order: Int, input: String) -> BatchRow {
        var row = BatchRow(order: order, input: input, shard: shard, status: .failed)
        do {
            let content = try BatchInputs.contentHash(of: input)
            let name = Self.folderName(input: input, content: content, settings: settings)
            let result = layout.results.appendingPathComponent(name, isDirectory: true)
            if var done = try? BatchLayout.decodeRow(RegularFile.read(result.appendingPathComponent("result.json").path, atMost: 64 << 20)) {
                (done.order, done.shard, done.reused) = (order, shard, true)
                return done
            }
            let partial = layout.partial.appendingPathComponent(name, isDirectory: true)
            try? FileManager.default.removeItem(at: partial)  // a killed run's: only this shard holds this name
            var request = request
            request.seed ^= UInt64(content.prefix(16), radix: 16) ?? 0
            let started = Date()
            var classes: [String: Int] = [:], profiles: [String: ClassProfile] = [:]
            let outcome = try FileExplanation(classifier: classifier, request: request, options: options)
                .run(input: input, into: partial, progress: false) { document in
                    let label = document.target.label
                    classes[label, default: 0] += 1
                    profiles[label, default: ClassProfile(windows: 0, levels: [])]
                        .add(document.scaleProfile.levels.map { .init(name: $0.name, frequencyBand: $0.frequencyBand, importance: $0.importance) })
                }
            row.status = .explained
            row.result = "results/\(name)"
            row.windows = outcome.summary.windows.count
            row.skippedWindows = outcome.skipped.count
            (row.classes, row.profiles) = (classes, profiles)
            row.seconds = Date().timeIntervalSince(started)
            try AtomicFile.write(try BatchLayout.line(row), to: partial.appendingPathComponent("result.json"))
            guard AtomicFile.syncContents(of: partial) else {  // on disk before it is marked complete by the rename
                throw WorkflowError(source: partial.path, reason: "cannot be flushed to disk (\(String(cString: strerror(errno))))")
            }
            let renamed = rename(partial.path, result.path) == 0, renameError = errno
            if !renamed, renameError == EEXIST || renameError == ENOTEMPTY {
                // A folder of this name without its result.json (damaged by hand): replaced.
                try? FileManager.default.removeItem(at: result)
                guard rename(partial.path, result.path) == 0 else {
                    throw WorkflowError(source: result.path, reason: "cannot be put in place (\(String(cString: strerror(errno))))")
                }
            } else if !renamed {
                throw WorkflowError(source: result.path, reason: "cannot be put in place (\(String(cString: strerror(renameError))))")
            }
            _ = AtomicFile.sync(layout.results.path)
            return row
        } catch {
            let reason = "\(error)"
            row.error = reason.hasPrefix(input) ? reason : "\(input): \(reason)"
            return row
        }
    }

    /// `<input stem, letters digits . _ - only>-<16 hex digits of the hash of its bytes, path and the settings>`.
    static func folderName(input: String, content: String, settings: String) -> String {
        let stem = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        let safe = String(
            stem.unicodeScalars.prefix(60).map {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) ? Character($0) : "-"
            })
        return "\(safe)-\(StableHash.hex("\(content)\n\(input)\n\(settings)"))"
    }
}
