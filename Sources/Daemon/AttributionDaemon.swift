import AtomicFiles
import Attribution
import AudioIO
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Wavelets
import Workflow

/// Why a file or standard-input source could not be read to its end (wamd then exits non-zero).
public struct SourceFailure: Error, CustomStringConvertible {
    public let description: String
}

/// The long-running service: reads a source, classifies every window, explains the ones that
/// pass the gates on worker threads, writes outputs within a disk budget, and reports to the
/// service manager.
///
/// Threads: one reads the source into a bounded buffer (capture never waits for the model), one
/// classifies, `workers` explain from a bounded queue that drops its oldest entries under
/// overload, one keeps the disk budget, one sends status and watchdog pings.
public final class AttributionDaemon: Service, @unchecked Sendable {
    public let metrics = DaemonMetrics()
    /// Every classified and explained window, for the live view.
    public let events = EventHub()
    /// Every configuration a reload applied (the live view follows its `[http]` section).
    public let reloads = Broadcast<DaemonConfiguration>()
    private let classifier: Classifier
    private let source: AudioSourceSpecification
    private let store: OutputStore
    private let logger: Logger
    private let notifier: any ServiceNotifier
    private let configurationPath: String?
    private let overrides: [String]
    private let queue: BlockingQueue<ExplanationJob>
    /// Why a file or standard-input source failed, for the exit status.
    private let sourceFailure = Mutex<String?>(nil)
    private let workerCount: Int
    /// Settings that SIGHUP may change, guarded by `lock`.
    private let lock = NSLock()
    private var configuration: DaemonConfiguration
    private var gate: ExplanationGate
    private var explainer: WindowExplainer
    private var budget: DiskBudget
    private let stopping = Atomic<Bool>(false)
    /// When a requested stop gives up on the explanations still queued: `explain.stop_timeout` after it.
    private let stopDeadline = Mutex<Date?>(nil)
    private let ready = Atomic<Bool>(false)
    /// The buffer between capture and classification of the current stream.
    private let ring = Mutex<BlockingQueue<[Float]>?>(nil)
    /// Last time data flowed (a window classified, or the spool watcher alive).
    private let heartbeat = Mutex<Date?>(nil)
    /// Awaited before the source opens, so that READY means every part is up.
    private let readinessGate = Mutex<(@Sendable () async throws -> Void)?>(nil)
    private let workersFinished = DispatchGroup()
    private let timers = DispatchGroup()

    /// Loads the model and checks the settings; the source is opened by `run`.
    /// - Throws: a clear error when the model is unreadable or does not take mono audio windows,
    ///   or a setting is invalid.
    public init(
        configuration: DaemonConfiguration, configurationPath: String? = nil, overrides: [String] = [],
        logger: Logger, notifier: any ServiceNotifier = SystemdNotifier()
    ) throws {
        self.configuration = configuration
        self.configurationPath = configurationPath
        self.overrides = overrides
        self.logger = logger
        self.notifier = notifier
        source = try AudioSourceSpecification(configuration.input)
        classifier = try Self.loadModel(configuration)
        (gate, explainer) = try Self.gateAndExplainer(configuration, classifier: classifier)
        // Resolved once: the disk budget never follows links, and under DynamicUser=yes the
        // output folder itself is one (/var/lib/wamd -> private/wamd).
        let root = try Self.resolvedOutputFolder(configuration.outputDirectory)
        store = OutputStore(root: root)
        budget = Self.budget(configuration, root: root)
        queue = BlockingQueue(capacity: configuration.queueLength, overflow: .dropOldest)
        workerCount = configuration.workers
    }

    /// Creates `path` if needed and returns it with every symbolic link resolved.
    /// - Throws: a clear error when the folder cannot be created.
    static func resolvedOutputFolder(_ path: String) throws -> URL {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError(source: path, reason: "cannot create the output folder (output.dir): \(FileErrorReason.describe(error))")
        }
        guard let resolved = realpath(path, nil) else {
            throw WorkflowError(source: path, reason: "cannot resolve the output folder (output.dir): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return URL(fileURLWithPath: String(cString: resolved), isDirectory: true)
    }

    /// The current settings.
    public var currentConfiguration: DaemonConfiguration { lock.withLock { configuration } }

    /// The model's class labels.
    public var labels: [String] { classifier.labels }

    /// The loaded model.
    public var model: Classifier { classifier }

    /// The folder the explanations are written to.
    public var outputRoot: URL { store.root }

    /// Where uploads are received (`OUT/.uploads/`, one private folder per upload).
    public var uploadsFolder: URL { store.root.appendingPathComponent(".uploads") }

    /// Writes one explanation's files, counts them (and the window, for stream windows) and
    /// announces it as an `explained` event.
    func publish(
        _ result: WindowResult, source: String, time: Date, sampleIndex: Int, dbfs: Double, profilesOnly: Bool,
        writeInput: Bool, streamWindow: Bool
    ) throws -> (event: WindowEvent, json: URL, document: ExplanationDocument) {
        let written = try store.write(result, source: source, time: time, profilesOnly: profilesOnly, writeInput: writeInput)
        metrics.update {
            $0.bytesWritten += written.bytes
            if streamWindow { $0.windowsExplained += 1 }
        }
        let target = result.document.target
        let event = events.publish(
            WindowEvent(
                sequence: 0, kind: .explained, time: time, source: source, sampleIndex: sampleIndex,
                prediction: target.label, probability: target.probability, dbfs: dbfs,
                decision: .explain,
                top: Dictionary(uniqueKeysWithValues: result.document.topClasses.map { ($0.label, $0.probability) }),
                document: store.relativePath(of: written.json)))
        return (event, written.json, written.document)
    }

    /// The explainer with the current settings (for explaining uploads the same way).
    public var currentExplainer: WindowExplainer { lock.withLock { explainer } }

    /// Whether the daemon has opened its source and reported ready.
    public var isReady: Bool { ready.load(ordering: .sequentiallyConsistent) }

    // MARK: - Running

    /// Makes `run` wait for `gate` (e.g. the live view listening) before it opens the source and
    /// reports ready; `run` throws what `gate` throws.
    public func holdReadiness(until gate: @escaping @Sendable () async throws -> Void) {
        readinessGate.withLock { $0 = gate }
    }

    public func run() async throws {
        if let gate = readinessGate.withLock({ $0 }) {
            do {
                try await cancelWhenGracefulShutdown { try await gate() }
            } catch is CancellationError {
                return
            }
        }
        for index in 0..<workerCount { startThread("wamd-explain-\(index)", group: workersFinished) { self.explainLoop() } }
        removeLeftovers()
        enforceDiskBudget()
        startThread("wamd-budget", group: timers) { self.budgetLoop() }
        startThread("wamd-status", group: timers) { self.statusLoop() }
        logger.info(
            "wamd started",
            metadata: [
                "source": "\(source.name)", "model": "\(classifier.url.lastPathComponent)",
                "output": "\(store.root.path)",
            ])
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                startThread("wamd-source", group: nil) {
                    self.runSource()
                    finished.resume()
                }
            }
        } onGracefulShutdown: {
            self.requestStop()
        }
        notifier.notify("STOPPING=1")
        stopping.store(true, ordering: .sequentiallyConsistent)
        finishExplanations()
        timers.wait()
        enforceDiskBudget()
        logger.info("wamd stopped", metadata: metadataOfCounts())
        if let reason = sourceFailure.withLock({ $0 }) { throw SourceFailure(description: reason) }
    }

    /// Stops reading the source; the queued explanations are finished or dropped per `on_stop`.
    public func requestStop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        logger.info("stopping")
        notifier.notify("STOPPING=1")
        let (finish, timeout) = lock.withLock { (configuration.onStop == .finish, configuration.stopTimeout) }
        stopDeadline.withLock { $0 = Date().addingTimeInterval(timeout) }
        ring.withLock {
            $0?.close()
            _ = $0?.drain()
        }
        // At once, not after the source has let go: a file being read waits for its queued explanations.
        if !finish { dropQueuedExplanations() }
    }

    private func finishExplanations() {
        let (finish, timeout) = lock.withLock { (configuration.onStop == .finish, configuration.stopTimeout) }
        if !finish { dropQueuedExplanations() }
        queue.close()
        let deadline = stopDeadline.withLock { $0 } ?? Date().addingTimeInterval(timeout)
        if workersFinished.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow)) == .timedOut {
            let dropped = dropQueuedExplanations()
            logger.warning("stop timeout: dropped the queued explanations", metadata: ["dropped": "\(dropped)"])
            _ = workersFinished.wait(timeout: .now() + 60)
        }
    }

    /// Empties the explanation queue, counting what it held as dropped.
    @discardableResult
    private func dropQueuedExplanations() -> Int {
        let jobs = queue.drain()
        for job in jobs { job.progress?.finish(.dropped) }
        metrics.update { $0.explanationsDropped += jobs.count }
        return jobs.count
    }

    private func startThread(_ name: String, group: DispatchGroup?, _ body: @escaping @Sendable () -> Void) {
        group?.enter()
        let thread = Thread {
            body()
            group?.leave()
        }
        thread.name = name
        thread.start()
    }

    private func markReady() {
        if !ready.exchange(true, ordering: .sequentiallyConsistent) {
            notifier.notify("READY=1")
            logger.info("ready", metadata: ["source": "\(source.name)"])
        }
    }

    // MARK: - Sources

    private func runSource() {
        let settings = lock.withLock { configuration }
        switch source {
        case let .alsa(device):
            var delay = settings.reopenDelay
            while !stopping.load(ordering: .sequentiallyConsistent) {
                do {
                    let capture = try ALSACapture(
                        device: device, rate: settings.captureRate, channels: settings.captureChannels,
                        periodFrames: settings.periodFrames)
                    delay = settings.reopenDelay
                    metrics.update { $0.sourceState = .capturing }
                    markReady()
                    _ = pump(capture, live: true, startTime: Date(), progress: nil)
                    metrics.update { $0.overruns += capture.overruns }
                    if capture.overruns > 0 { logger.warning("capture overruns recovered", metadata: ["count": "\(capture.overruns)"]) }
                } catch {
                    metrics.update {
                        $0.inputErrors += 1
                        $0.sourceState = .reopening
                    }
                    logger.error("capture device unavailable; retrying", metadata: ["error": "\(error)", "retry_seconds": "\(delay)"])
                    Thread.sleep(forTimeInterval: delay)
                    delay = min(delay * 2, 60)
                }
            }
        case let .file(url):
            if case let .failed(reason) = processFile(url) { sourceFailure.withLock { $0 = reason } }
        case .standardInput:
            do {
                let format = RawPCMStream.Format(rawValue: settings.rawFormat) ?? .s16le
                let stream = try RawPCMStream(
                    handle: FileHandle.standardInput, format: format, sampleRate: Double(settings.captureRate),
                    channels: settings.captureChannels)
                metrics.update { $0.sourceState = .reading }
                markReady()
                // Live unless asked otherwise: a recorder writing into the pipe never waits for the model.
                if case let .failed(reason) = pump(stream, live: !settings.stdinBackpressure, startTime: Date(), progress: nil) {
                    sourceFailure.withLock { $0 = reason }
                }
            } catch {
                metrics.update { $0.inputErrors += 1 }
                logger.error("standard input unusable", metadata: ["error": "\(error)"])
                sourceFailure.withLock { $0 = "standard input unusable: \(error)" }
            }
        case let .spool(folder):
            SpoolWatcher(folder: folder, logger: logger).run(
                stop: { self.stopping.load(ordering: .sequentiallyConsistent) },
                idle: {
                    self.beat()
                    self.markReady()
                    self.metrics.update { $0.sourceState = $0.diskPaused ? .waitingForSpace : .watching }
                },
                canTake: { !self.metrics.snapshot.diskPaused },
                process: { self.processFile($0) })
        }
        metrics.update {
            $0.sourceState = .ended
            $0.sourceFile = nil
        }
    }

    /// Reads one file to its end and waits until the explanations it asked for are written.
    private func processFile(_ url: URL) -> FileOutcome {
        metrics.update {
            $0.sourceState = .reading
            $0.sourceFile = url.lastPathComponent
        }
        markReady()
        let stream: FileStream
        do {
            stream = try FileStream(url: url)
        } catch {
            metrics.update { $0.inputErrors += 1 }
            logger.error("cannot read audio file", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        // The modification time is when the recording ended: its windows start a duration earlier.
        let modified = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? Date()
        let progress = FileProgress()
        let read = pump(stream, live: false, startTime: modified.addingTimeInterval(-(stream.duration ?? 0)), progress: progress)
        // A stopped file is read again at the next start: its queued explanations are left to the stop policy.
        if read == .interrupted { return .interrupted }
        let explanations = progress.waitUntilSettled(giveUpAt: { self.stopDeadline.withLock { $0 } })
        if explanations.pending > 0 || (explanations.dropped > 0 && stopping.load(ordering: .sequentiallyConsistent)) { return .interrupted }
        if read != .done { return read }
        if explanations.failed > 0 || explanations.dropped > 0 {
            return .failed("\(explanations.failed) explanations failed and \(explanations.dropped) were dropped")
        }
        return .done
    }

    /// Moves one stream's audio through capture, classification and the gates. A file (not
    /// `live`) is read only as fast as it is classified and explained, and waits while writes
    /// are paused; its explanations are counted in `progress`.
    private func pump(_ stream: any AudioStream, live: Bool, startTime: Date, progress: FileProgress?) -> FileOutcome {
        let settings = lock.withLock { configuration }
        let blocks = max(4, Int(settings.bufferSeconds * stream.sampleRate) / max(settings.periodFrames, 1))
        let buffer = BlockingQueue<[Float]>(capacity: live ? blocks : 4, overflow: live ? .dropOldest : .wait)
        ring.withLock { $0 = buffer }
        if stopping.load(ordering: .sequentiallyConsistent) { buffer.close() }
        let failure = Mutex<String?>(nil)
        let samplesRead = Atomic<Int>(0)
        let period = settings.periodFrames
        nonisolated(unsafe) let unsafeStream = stream
        startThread("wamd-capture", group: nil) {
            while true {
                do {
                    guard let block = try unsafeStream.read(frames: period), !block.isEmpty else { break }
                    samplesRead.add(block.count, ordering: .relaxed)
                    guard let dropped = buffer.push(block) else { break }
                    if !dropped.isEmpty { self.metrics.update { $0.overruns += dropped.count } }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    break
                }
            }
            buffer.close()
        }
        var outcome = FileOutcome.done
        do {
            let windows = try StreamClassifier(
                classifier: classifier, source: stream.name, startTime: startTime,
                streamRate: stream.sampleRate, channels: stream.channels,
                modelRate: Double(settings.modelRate), hop: settings.hop)
            while let block = buffer.pop(), !stopping.load(ordering: .sequentiallyConsistent) {
                if !live { waitForSpace() }
                try handle(windows.process(block), source: stream.name, live: live, progress: progress)
            }
            if stopping.load(ordering: .sequentiallyConsistent) {
                outcome = .interrupted
            } else if !live {
                try handle(windows.finish(), source: stream.name, live: live, progress: progress)
            }
        } catch {
            outcome = .failed("\(error)")
            metrics.update { $0.inputErrors += 1 }
            logger.error("stream failed", metadata: ["source": "\(stream.name)", "error": "\(error)"])
        }
        if let message = failure.withLock({ $0 }) {
            outcome = .failed(message)
            metrics.update { $0.inputErrors += 1 }
            logger.error("reading failed", metadata: ["source": "\(stream.name)", "error": "\(message)"])
        } else if samplesRead.load(ordering: .relaxed) == 0 && outcome == .done {
            outcome = .failed("\(stream.name) holds no audio frames")
            metrics.update { $0.inputErrors += 1 }
            logger.error("no audio", metadata: ["source": "\(stream.name)", "error": "holds no audio frames"])
        }
        ring.withLock { $0 = nil }
        return outcome
    }

    /// Waits (beating the watchdog) while writes are paused for lack of space, unless stopping.
    private func waitForSpace() {
        guard metrics.snapshot.diskPaused else { return }
        let state = metrics.snapshot.sourceState
        metrics.update { $0.sourceState = .waitingForSpace }
        while metrics.snapshot.diskPaused && !stopping.load(ordering: .sequentiallyConsistent) {
            beat()
            Thread.sleep(forTimeInterval: 0.2)
        }
        metrics.update { $0.sourceState = state }
    }

    private func beat() { heartbeat.withLock { $0 = Date() } }

    // MARK: - Classified windows

    /// Gates and logs classified windows and queues the ones to explain. Live sources drop the
    /// oldest queued explanation when the queue is full; files wait for room instead.
    private func handle(
        _ batch: (windows: [ClassifiedWindow], rejected: [RejectedWindow]), source name: String, live: Bool,
        progress: FileProgress?
    ) throws {
        if !batch.rejected.isEmpty {
            metrics.update { $0.inputErrors += batch.rejected.count }
            for rejected in batch.rejected {
                logger.warning("window skipped: \(rejected.reason)", metadata: ["source": "\(name)", "sample": "\(rejected.sampleIndex)"])
            }
        }
        for window in batch.windows {
            let started = Date()
            let label = classifier.labels[window.top], probability = window.probabilities[window.top]
            let decision = lock.withLock {
                gate.decide(dbfs: window.dbfs, label: label, probability: probability, now: Date().timeIntervalSinceReferenceDate)
            }
            let ranked = window.probabilities.indices.sorted { window.probabilities[$0] > window.probabilities[$1] }.prefix(3)
            let line = WindowLogLine(
                time: window.time, source: name, sampleIndex: window.sampleIndex, dbfs: window.dbfs,
                prediction: label, probability: probability, decision: decision,
                top: Dictionary(uniqueKeysWithValues: ranked.map { (classifier.labels[$0], window.probabilities[$0]) }))
            if !metrics.snapshot.diskPaused {
                do {
                    let bytes = try store.log(line, source: name)
                    metrics.update { $0.bytesWritten += bytes }
                } catch {
                    metrics.update { $0.explanationsFailed += 1 }
                    logger.error("cannot append to the window log", metadata: ["error": "\(error)"])
                }
            }
            events.publish(
                WindowEvent(
                    sequence: 0, kind: .classified, time: window.time, source: name, sampleIndex: window.sampleIndex,
                    prediction: label, probability: probability, dbfs: window.dbfs, decision: decision,
                    top: line.top, document: nil))
            var dropped = 0
            if decision == .explain {
                progress?.add()
                let job = ExplanationJob(window: window, progress: progress)
                // nil: the queue closed (stopping).
                let evicted = queue.push(job, overflow: live ? .dropOldest : .wait) ?? [job]
                dropped = evicted.count
                for old in evicted { old.progress?.finish(.dropped) }
            }
            let hopSeconds =
                Double(lock.withLock { configuration.hop > 0 ? configuration.hop : window.samples.count })
                / Double(lock.withLock { configuration.modelRate })
            metrics.update {
                $0.windowsClassified += 1
                if decision != .explain { $0.windowsGated[decision.rawValue, default: 0] += 1 }
                $0.explanationsDropped += dropped
                $0.lastWindowTime = Date()
                $0.lastClass = label
                $0.queueDepth = queue.count
                $0.audioSeconds += hopSeconds
            }
            metrics.record(.classify, seconds: Date().timeIntervalSince(started))
            beat()
        }
    }

    // MARK: - Workers

    private func explainLoop() {
        while let job = queue.pop() {
            let window = job.window
            metrics.update { $0.queueDepth = queue.count }
            // A file's windows wait for space (the file is read on afterwards); live ones are skipped.
            if job.progress != nil { waitForSpace() }
            if metrics.snapshot.diskPaused {
                metrics.update { $0.writesSkippedLowDisk += 1 }
                job.progress?.finish(.dropped)
                continue
            }
            let started = Date()
            let (explainer, settings) = lock.withLock { (self.explainer, configuration) }
            do {
                let input = InputSignal(stream: window.source, sampleRate: Double(settings.modelRate))
                var result = try explainer.explain(
                    InputWindow(
                        index: 0, samples: window.samples, startSample: window.sampleIndex,
                        paddedSamples: window.padding), of: input)
                result.document.stream = .init(
                    source: window.source, startTime: window.time.formatted(.iso8601),
                    sampleIndex: window.sampleIndex)
                // The live view plays the input window next to the interpretation.
                let written = try publish(
                    result, source: window.source, time: window.time, sampleIndex: window.sampleIndex,
                    dbfs: window.dbfs, profilesOnly: settings.profilesOnly,
                    writeInput: settings.writeInput || settings.httpEnabled, streamWindow: true)
                metrics.record(.explain, seconds: Date().timeIntervalSince(started))
                job.progress?.finish(.written)
                logger.debug("explained", metadata: ["file": "\(written.json.lastPathComponent)"])
            } catch {
                metrics.update { $0.explanationsFailed += 1 }
                job.progress?.finish(.failed)
                logger.error("explanation failed", metadata: ["source": "\(window.source)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Disk and status

    private func budgetLoop() {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            sleep(seconds: lock.withLock { configuration.checkInterval })
            enforceDiskBudget()
        }
    }

    /// Removes what an earlier run left half-done (temporary files of interrupted writes, uploads
    /// being received), before anything is written; counts and logs them.
    private func removeLeftovers() {
        let budget = lock.withLock { self.budget }
        var removed = budget.removeStaleTemporaries()
        for upload in (try? FileManager.default.contentsOfDirectory(at: uploadsFolder, includingPropertiesForKeys: nil)) ?? [] {
            if (try? FileManager.default.removeItem(at: upload)) != nil { removed += 1 }
        }
        guard removed > 0 else { return }
        metrics.update { $0.staleFilesRemoved += removed }
        logger.notice("removed what an interrupted run left half-written", metadata: ["files": "\(removed)"])
    }

    /// Deletes what the byte limit and retention age require, and pauses or resumes writes by
    /// the free-space floor.
    private func enforceDiskBudget() {
        let (budget, floor) = lock.withLock { (self.budget, configuration.minFreeBytes) }
        let result = budget.enforce()
        let free = store.freeBytes()
        let paused = free < floor
        let wasPaused = metrics.snapshot.diskPaused
        metrics.update {
            $0.filesDeleted += result.files
            $0.bytesDeleted += result.bytes
            $0.outputBytes = result.remaining
            $0.freeBytes = free
            $0.diskPaused = paused
        }
        if paused != wasPaused {
            if paused {
                logger.warning("pausing writes: free space under the floor", metadata: ["free_bytes": "\(free)", "floor_bytes": "\(floor)"])
            } else {
                logger.notice("resuming writes", metadata: ["free_bytes": "\(free)"])
            }
        }
        if result.files > 0 {
            logger.info("disk budget enforced", metadata: ["deleted_files": "\(result.files)", "deleted_bytes": "\(result.bytes)"])
        }
    }

    private func statusLoop() {
        let watchdog = notifier.watchdogInterval
        let interval = min(watchdog.map { $0 / 2 } ?? 5, 5)
        while !stopping.load(ordering: .sequentiallyConsistent) {
            let snapshot = metrics.snapshot
            notifier.notify(
                String(
                    format: "STATUS=%.2f windows/s, queue %d, last class %@", metrics.windowsPerSecond,
                    snapshot.queueDepth, snapshot.lastClass ?? "-"))
            if let watchdog, let last = heartbeat.withLock({ $0 }), Date().timeIntervalSince(last) < watchdog {
                notifier.notify("WATCHDOG=1")
            }
            sleep(seconds: interval)
        }
    }

    /// Sleeps in short steps so that a stop is noticed quickly.
    private func sleep(seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end && !stopping.load(ordering: .sequentiallyConsistent) {
            Thread.sleep(forTimeInterval: min(0.05, max(0, end.timeIntervalSinceNow)))
        }
    }

    private func metadataOfCounts() -> Logger.Metadata {
        let s = metrics.snapshot
        return [
            "classified": "\(s.windowsClassified)", "explained": "\(s.windowsExplained)", "dropped": "\(s.explanationsDropped)",
            "failed": "\(s.explanationsFailed)", "input_errors": "\(s.inputErrors)", "overruns": "\(s.overruns)",
        ]
    }

    // MARK: - Reloading

    /// Re-reads the configuration file (SIGHUP) and applies the gates, explanation settings and
    /// disk budget without touching the stream; a new source, model or worker count needs a restart.
    public func reload() {
        notifier.notify("RELOADING=1")
        defer { notifier.notify("READY=1") }
        guard let configurationPath else {
            logger.notice("reload requested, but wamd was started without a configuration file")
            return
        }
        do {
            let fresh = try ConfigurationLoader.load(path: configurationPath, overrides: overrides)
            let (newGate, newExplainer) = try Self.gateAndExplainer(fresh, classifier: classifier)
            lock.withLock {
                let old = configuration
                if fresh.input != old.input || fresh.modelPath != old.modelPath || fresh.workers != old.workers
                    || fresh.outputDirectory != old.outputDirectory || fresh.queueLength != old.queueLength
                {
                    logger.warning("source, model, output folder, workers and queue changes need a restart; kept the running ones")
                }
                var applied = fresh
                (applied.input, applied.modelPath, applied.workers, applied.outputDirectory, applied.queueLength) = (
                    old.input, old.modelPath, old.workers, old.outputDirectory, old.queueLength
                )
                configuration = applied
                gate = newGate
                explainer = newExplainer
                budget = Self.budget(applied, root: store.root)
            }
            reloads.publish(currentConfiguration)
            logger.info("configuration reloaded", metadata: ["min_probability": "\(fresh.minProbability)", "min_dbfs": "\(fresh.minDBFS)"])
        } catch {
            metrics.update { $0.inputErrors += 1 }
            logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Settings

    /// Checks `configuration` against its model as the daemon would at start (the model loads
    /// and takes mono windows; the gates' classes exist; wavelet, mode and levels suit its
    /// window), without opening the source or writing anything: `--check-config`.
    public static func check(_ configuration: DaemonConfiguration) throws {
        _ = try AudioSourceSpecification(configuration.input)
        _ = try gateAndExplainer(configuration, classifier: loadModel(configuration))
    }

    static func loadModel(_ c: DaemonConfiguration) throws -> Classifier {
        let classifier = try Classifier(
            url: URL(fileURLWithPath: c.modelPath), threads: c.threads, maxBatch: c.maxBatch,
            exampleShape: c.inputShape.isEmpty ? nil : c.inputShape)
        let shape = classifier.inputShape
        guard shape.count == 1 || (shape.count == 2 && shape[0] == 1) else {
            throw WorkflowError(
                source: c.modelPath, reason: "the model takes examples of shape \(shape); wamd needs a mono waveform model ([1, samples])")
        }
        return classifier
    }

    /// The gates and the explainer of `c` for `classifier`.
    /// - Throws: `ConfigurationError` naming the key that does not suit the model.
    static func gateAndExplainer(_ c: DaemonConfiguration, classifier: Classifier) throws -> (ExplanationGate, WindowExplainer) {
        let labels = classifier.labels
        if let unknown = c.classes.first(where: { !labels.contains($0) }) {
            throw ConfigurationError(
                file: "configuration", line: nil, key: "gates.classes",
                message: "unknown class \"\(unknown)\"; the model's classes are " + labels.joined(separator: ", "))
        }
        let gate = ExplanationGate(
            minDBFS: c.minDBFS, classes: Set(c.classes), minProbability: c.minProbability,
            maxPerClassPerMinute: c.maxPerClassPerMinute)
        func keyed<Value>(_ key: String, _ make: () throws -> Value) throws(ConfigurationError) -> Value {
            do { return try make() } catch {
                throw ConfigurationError(file: "configuration", line: nil, key: key, message: "\(error)")
            }
        }
        let settings = try keyed("explain.wavelet") { try c.explanation.settings() }
        _ = try keyed("explain.levels") { try settings.transform(exampleShape: classifier.inputShape, kind: .audio) }
        return (gate, WindowExplainer(classifier: classifier, settings: settings))
    }

    static func budget(_ c: DaemonConfiguration, root: URL) -> DiskBudget {
        DiskBudget(root: root, maxBytes: c.maxBytes, maxAge: c.maxAgeDays * 86400, keepNewestPerClass: c.keepNewestPerClass)
    }
}
