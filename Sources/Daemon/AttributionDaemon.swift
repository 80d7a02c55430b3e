import Attribution
import AudioIO
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Wavelets
import Workflow

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
    private let queue: BlockingQueue<ClassifiedWindow>
    private let workerCount: Int
    /// Settings that SIGHUP may change, guarded by `lock`.
    private let lock = NSLock()
    private var configuration: DaemonConfiguration
    private var gate: ExplanationGate
    private var explainer: WindowExplainer
    private var budget: DiskBudget
    private let stopping = Atomic<Bool>(false)
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
    public init(configuration: DaemonConfiguration, configurationPath: String? = nil, overrides: [String] = [],
                logger: Logger, notifier: any ServiceNotifier = SystemdNotifier()) throws {
        self.configuration = configuration
        self.configurationPath = configurationPath
        self.overrides = overrides
        self.logger = logger
        self.notifier = notifier
        source = try AudioSourceSpecification(configuration.input)
        classifier = try Classifier(url: URL(fileURLWithPath: configuration.modelPath), threads: configuration.threads,
                                    maxBatch: configuration.maxBatch)
        let shape = classifier.inputShape
        guard shape.count == 1 || (shape.count == 2 && shape[0] == 1) else {
            throw WorkflowError(source: configuration.modelPath,
                                reason: "the model takes examples of shape \(shape); wamd needs a mono waveform model ([1, samples])")
        }
        gate = try Self.gate(configuration, labels: classifier.labels)
        explainer = WindowExplainer(classifier: classifier, settings: try Self.settings(configuration))
        store = OutputStore(root: URL(fileURLWithPath: configuration.outputDirectory))
        budget = Self.budget(configuration)
        queue = BlockingQueue(capacity: configuration.queueLength, overflow: .dropOldest)
        workerCount = configuration.workers
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
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
    func publish(_ result: WindowResult, source: String, time: Date, sampleIndex: Int, dbfs: Double, profilesOnly: Bool,
                 writeInput: Bool, streamWindow: Bool) throws -> (event: WindowEvent, json: URL, document: ExplanationDocument) {
        let written = try store.write(result, source: source, time: time, profilesOnly: profilesOnly, writeInput: writeInput)
        metrics.update {
            $0.bytesWritten += written.bytes
            if streamWindow { $0.windowsExplained += 1 }
        }
        let target = result.document.target
        let event = events.publish(WindowEvent(sequence: 0, kind: .explained, time: time, source: source, sampleIndex: sampleIndex,
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
        enforceDiskBudget()
        startThread("wamd-budget", group: timers) { self.budgetLoop() }
        startThread("wamd-status", group: timers) { self.statusLoop() }
        logger.info("wamd started", metadata: ["source": "\(source.name)", "model": "\(classifier.url.lastPathComponent)",
                                               "output": "\(store.root.path)"])
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
    }

    /// Stops reading the source; the queued explanations are finished or dropped per `on_stop`.
    public func requestStop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        logger.info("stopping")
        notifier.notify("STOPPING=1")
        ring.withLock {
            $0?.close()
            _ = $0?.drain()
        }
    }

    private func finishExplanations() {
        let (finish, timeout) = lock.withLock { (configuration.onStop == "finish", configuration.stopTimeout) }
        if !finish {
            let dropped = queue.drain().count
            metrics.update { $0.explanationsDropped += dropped }
        }
        queue.close()
        if workersFinished.wait(timeout: .now() + timeout) == .timedOut {
            let dropped = queue.drain().count
            metrics.update { $0.explanationsDropped += dropped }
            logger.warning("stop timeout: dropped the queued explanations", metadata: ["dropped": "\(dropped)"])
            _ = workersFinished.wait(timeout: .now() + 60)
        }
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
                    let capture = try ALSACapture(device: device, rate: settings.captureRate, channels: settings.captureChannels,
                                                  periodFrames: settings.periodFrames)
                    delay = settings.reopenDelay
                    metrics.update { $0.sourceState = "capturing" }
                    markReady()
                    pump(capture, live: true, startTime: Date())
                    metrics.update { $0.overruns += capture.overruns }
                    if capture.overruns > 0 { logger.warning("capture overruns recovered", metadata: ["count": "\(capture.overruns)"]) }
                } catch {
                    metrics.update {
                        $0.inputErrors += 1
                        $0.sourceState = "reopening"
                    }
                    logger.error("capture device unavailable; retrying", metadata: ["error": "\(error)", "retry_seconds": "\(delay)"])
                    Thread.sleep(forTimeInterval: delay)
                    delay = min(delay * 2, 60)
                }
            }
        case let .file(url):
            processFile(url)
        case .standardInput:
            do {
                let format = RawPCMStream.Format(rawValue: settings.rawFormat) ?? .s16le
                let stream = try RawPCMStream(handle: FileHandle.standardInput, format: format, sampleRate: Double(settings.captureRate),
                                              channels: settings.captureChannels)
                metrics.update { $0.sourceState = "reading" }
                markReady()
                pump(stream, live: false, startTime: Date())
            } catch {
                metrics.update { $0.inputErrors += 1 }
                logger.error("standard input unusable", metadata: ["error": "\(error)"])
            }
        case let .spool(folder):
            SpoolWatcher(folder: folder, logger: logger).run(stop: { self.stopping.load(ordering: .sequentiallyConsistent) },
                                                           idle: { self.beat(); self.markReady() }) { url in
                self.processFile(url)
            }
        }
        metrics.update { $0.sourceState = "ended" }
    }

    /// Reads one file to its end; returns whether it was read without errors.
    @discardableResult
    private func processFile(_ url: URL) -> Bool {
        do {
            let stream = try FileStream(url: url)
            let modified = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? Date()
            metrics.update { $0.sourceState = "reading \(url.lastPathComponent)" }
            markReady()
            return pump(stream, live: false, startTime: modified)
        } catch {
            metrics.update { $0.inputErrors += 1 }
            logger.error("cannot read audio file", metadata: ["error": "\(error)"])
            markReady()
            return false
        }
    }

    /// Moves one stream's audio through capture, classification and the gates; returns whether
    /// it ended without an input error.
    @discardableResult
    private func pump(_ stream: any AudioStream, live: Bool, startTime: Date) -> Bool {
        let settings = lock.withLock { configuration }
        let blocks = max(4, Int(settings.bufferSeconds * stream.sampleRate) / max(settings.periodFrames, 1))
        let buffer = BlockingQueue<[Float]>(capacity: live ? blocks : 4, overflow: live ? .dropOldest : .wait)
        ring.withLock { $0 = buffer }
        if stopping.load(ordering: .sequentiallyConsistent) { buffer.close() }
        let failure = Mutex<String?>(nil)
        let period = settings.periodFrames
        nonisolated(unsafe) let unsafeStream = stream
        startThread("wamd-capture", group: nil) {
            while true {
                do {
                    guard let block = try unsafeStream.read(frames: period), !block.isEmpty else { break }
                    guard let dropped = buffer.push(block) else { break }
                    if !dropped.isEmpty { self.metrics.update { $0.overruns += dropped.count } }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    break
                }
            }
            buffer.close()
        }
        var ok = true
        do {
            let windows = try StreamClassifier(classifier: classifier, source: stream.name, startTime: startTime,
                                               streamRate: stream.sampleRate, channels: stream.channels,
                                               modelRate: Double(settings.modelRate), hop: settings.hop)
            while let block = buffer.pop(), !stopping.load(ordering: .sequentiallyConsistent) {
                try handle(windows.process(block), source: stream.name, live: live)
            }
            if !live && !stopping.load(ordering: .sequentiallyConsistent) { try handle(windows.finish(), source: stream.name, live: live) }
        } catch {
            ok = false
            metrics.update { $0.inputErrors += 1 }
            logger.error("stream failed", metadata: ["source": "\(stream.name)", "error": "\(error)"])
        }
        if let message = failure.withLock({ $0 }) {
            ok = false
            metrics.update { $0.inputErrors += 1 }
            logger.error("reading failed", metadata: ["source": "\(stream.name)", "error": "\(message)"])
        }
        ring.withLock { $0 = nil }
        return ok
    }

    private func beat() { heartbeat.withLock { $0 = Date() } }

    // MARK: - Classified windows

    /// Gates and logs classified windows and queues the ones to explain. Live sources drop the
    /// oldest queued explanation when the queue is full; files wait for room instead.
    private func handle(_ batch: (windows: [ClassifiedWindow], rejected: [RejectedWindow]), source name: String, live: Bool) throws {
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
            let line = WindowLogLine(time: window.time, source: name, sampleIndex: window.sampleIndex, dbfs: window.dbfs,
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
            events.publish(WindowEvent(sequence: 0, kind: .classified, time: window.time, source: name, sampleIndex: window.sampleIndex,
                                       prediction: label, probability: probability, dbfs: window.dbfs, decision: decision,
                                       top: line.top, document: nil))
            var dropped = 0
            if decision == .explain { dropped = queue.push(window, overflow: live ? .dropOldest : .wait)?.count ?? 1 }
            let hopSeconds = Double(lock.withLock { configuration.hop > 0 ? configuration.hop : window.samples.count })
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
        while let window = queue.pop() {
            metrics.update { $0.queueDepth = queue.count }
            if metrics.snapshot.diskPaused {
                metrics.update { $0.writesSkippedLowDisk += 1 }
                continue
            }
            let started = Date()
            let (explainer, settings) = lock.withLock { (self.explainer, configuration) }
            do {
                let input = InputSignal(stream: window.source, sampleRate: Double(settings.modelRate))
                var result = try explainer.explain(InputWindow(index: 0, samples: window.samples, startSample: window.sampleIndex,
                                                               paddedSamples: window.padding), of: input)
                result.document.stream = .init(source: window.source, startTime: window.time.formatted(.iso8601),
                                               sampleIndex: window.sampleIndex)
                // The live view plays the input window next to the interpretation.
                let written = try publish(result, source: window.source, time: window.time, sampleIndex: window.sampleIndex,
                                          dbfs: window.dbfs, profilesOnly: settings.profilesOnly,
                                          writeInput: settings.writeInput || settings.httpEnabled, streamWindow: true)
                metrics.record(.explain, seconds: Date().timeIntervalSince(started))
                logger.debug("explained", metadata: ["file": "\(written.json.lastPathComponent)"])
            } catch {
                metrics.update { $0.explanationsFailed += 1 }
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
            notifier.notify(String(format: "STATUS=%.2f windows/s, queue %d, last class %@", metrics.windowsPerSecond,
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
        return ["classified": "\(s.windowsClassified)", "explained": "\(s.windowsExplained)", "dropped": "\(s.explanationsDropped)",
                "failed": "\(s.explanationsFailed)", "input_errors": "\(s.inputErrors)", "overruns": "\(s.overruns)"]
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
            let newGate = try Self.gate(fresh, labels: classifier.labels)
            let newSettings = try Self.settings(fresh)
            lock.withLock {
                let old = configuration
                if fresh.input != old.input || fresh.modelPath != old.modelPath || fresh.workers != old.workers
                    || fresh.outputDirectory != old.outputDirectory || fresh.queueLength != old.queueLength {
                    logger.warning("source, model, output folder, workers and queue changes need a restart; kept the running ones")
                }
                var applied = fresh
                (applied.input, applied.modelPath, applied.workers, applied.outputDirectory, applied.queueLength)
                    = (old.input, old.modelPath, old.workers, old.outputDirectory, old.queueLength)
                configuration = applied
                gate = newGate
                explainer = WindowExplainer(classifier: classifier, settings: newSettings)
                budget = Self.budget(applied)
            }
            reloads.publish(currentConfiguration)
            logger.info("configuration reloaded", metadata: ["min_probability": "\(fresh.minProbability)", "min_dbfs": "\(fresh.minDBFS)"])
        } catch {
            metrics.update { $0.inputErrors += 1 }
            logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Settings

    static func gate(_ c: DaemonConfiguration, labels: [String]) throws -> ExplanationGate {
        if let unknown = c.classes.first(where: { !labels.contains($0) }) {
            throw ConfigurationError(file: "configuration", line: nil, key: "gates.classes",
                                     message: "unknown class \"\(unknown)\"; the model's classes are " + labels.joined(separator: ", "))
        }
        return ExplanationGate(minDBFS: c.minDBFS, classes: Set(c.classes), minProbability: c.minProbability,
                               maxPerClassPerMinute: c.maxPerClassPerMinute)
    }

    static func settings(_ c: DaemonConfiguration) throws -> ExplanationSettings {
        let method: AttributionMethod
        switch c.method {
        case "gradient": method = .gradient
        case "smoothgrad": method = .smoothgrad(SmoothGradOptions(samples: c.samples, spread: c.spread))
        default:
            method = .intgrad(IntegratedGradientsOptions(steps: c.steps == "auto" ? .auto(tolerance: 0.01, maxSteps: 256)
                                                                                 : .fixed(Int(c.steps) ?? 32)))
        }
        return ExplanationSettings(method: method, wavelet: try Wavelet(c.wavelet), mode: try ExtensionMode(parsing: c.mode),
                                   levels: c.levels,
                                   interpretation: c.rank == "evidence" ? .topEvidence(fraction: c.keep, width: c.width) : .top(fraction: c.keep))
    }

    static func budget(_ c: DaemonConfiguration) -> DiskBudget {
        DiskBudget(root: URL(fileURLWithPath: c.outputDirectory), maxBytes: c.maxBytes, maxAge: c.maxAgeDays * 86400,
                   keepNewestPerClass: c.keepNewestPerClass)
    }
}
