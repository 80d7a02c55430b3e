import AtomicFiles
import Foundation
import Logging
import ONNX
import ServiceLifecycle
import Synchronization
import Workflow

/// Why a file or standard-input source could not be read to its end (wamd then exits non-zero).
public struct SourceFailure: Error, CustomStringConvertible {
    public let description: String
}

/// The long-running service: reads a source, classifies every window, explains the ones that
/// pass the gates on worker threads, writes outputs within a disk budget, and reports to the
/// service manager. It puts together the parts that do each job:
///
/// - a `SourceRunner` per source kind reads the audio into the `StreamPipeline` (capture thread,
///   bounded buffer, classification, gates);
/// - `ExplanationWorkers` explain the gated windows from a bounded queue;
/// - `WindowOutputs` writes the explanation files and tells the `WindowSink`s (window log, live
///   view events);
/// - `Housekeeping` keeps the disk budget and sends status and watchdog pings;
/// - `reload` (SIGHUP) swaps the settings in the shared `DaemonRuntime`.
public final class AttributionDaemon: Service, Sendable {
    public let metrics = DaemonMetrics()
    /// Every classified and explained window, for the live view.
    public let events = EventHub()
    /// Every configuration a reload applied (the live view follows its `[http]` section).
    public let reloads = Broadcast<DaemonConfiguration>()
    private let classifier: Classifier
    private let source: AudioSourceSpecification
    private let configurationPath: String?
    private let overrides: [String]
    private let runtime: DaemonRuntime
    let outputs: WindowOutputs
    private let workers: ExplanationWorkers
    private let pipeline: StreamPipeline
    private let housekeeping: Housekeeping
    private let mqtt: MQTTLink
    /// Awaited before the source opens, so that READY means every part is up.
    private let readinessGate = Mutex<(@Sendable () async throws -> Void)?>(nil)

    /// Loads the model and checks the settings; the source is opened by `run`.
    /// - Throws: a clear error when the model is unreadable or does not take mono audio windows,
    ///   or a setting is invalid.
    public init(
        configuration: DaemonConfiguration, configurationPath: String? = nil, overrides: [String] = [],
        logger: Logger, notifier: any ServiceNotifier = SystemdNotifier()
    ) throws {
        self.configurationPath = configurationPath
        self.overrides = overrides
        source = try AudioSourceSpecification(configuration.input)
        classifier = try Self.loadModel(configuration)
        let (gate, explainer) = try Self.gateAndExplainer(configuration, classifier: classifier)
        // Resolved once: the disk budget never follows links, and under DynamicUser=yes the
        // output folder itself is one (/var/lib/wamd -> private/wamd).
        let root = try Self.resolvedOutputFolder(configuration.outputDirectory)
        let store = OutputStore(root: root)
        runtime = DaemonRuntime(
            settings: .init(configuration: configuration, gate: gate, explainer: explainer, budget: Self.budget(configuration, root: root)),
            sourceName: source.name, metrics: metrics, logger: logger, notifier: notifier)
        mqtt = try MQTTLink(configuration: configuration, runtime: runtime)
        outputs = WindowOutputs(
            store: store, sinks: WindowSinks.standard(store: store, events: events, mqtt: mqtt, metrics: metrics), metrics: metrics,
            logger: logger)
        workers = ExplanationWorkers(count: configuration.workers, queueLength: configuration.queueLength, runtime: runtime, outputs: outputs)
        pipeline = StreamPipeline(runtime: runtime, classifier: classifier, outputs: outputs, workers: workers)
        housekeeping = Housekeeping(runtime: runtime, store: store)
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
    public var currentConfiguration: DaemonConfiguration { runtime.configuration }

    /// The model's class labels.
    public var labels: [String] { classifier.labels }

    /// The loaded model.
    public var model: Classifier { classifier }

    /// The folder the explanations are written to.
    public var outputRoot: URL { outputs.store.root }

    /// Where uploads are received (`OUT/.uploads/`, one private folder per upload).
    public var uploadsFolder: URL { housekeeping.uploadsFolder }

    /// The explainer with the current settings (for explaining uploads the same way).
    public var currentExplainer: WindowExplainer { runtime.settings.explainer }

    /// The MQTT side (`[mqtt]`), or nil when it is off.
    public var mqttStatus: MQTTStatus? { mqtt.status }

    /// Whether the daemon has opened its source and reported ready.
    public var isReady: Bool { runtime.isReady }

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
        mqtt.start()
        workers.start()
        housekeeping.start()
        runtime.logger.info(
            "wamd started",
            metadata: [
                "source": "\(source.name)", "model": "\(classifier.url.lastPathComponent)",
                "output": "\(outputRoot.path)",
            ])
        let (runner, pipeline, metrics) = (source.runner, pipeline, metrics)
        let failure = await withGracefulShutdownHandler {
            await withCheckedContinuation { (finished: CheckedContinuation<String?, Never>) in
                DaemonRuntime.startThread("wamd-source", group: nil) {
                    let failure = runner.run(through: pipeline)
                    metrics.update {
                        $0.sourceState = .ended
                        $0.sourceFile = nil
                    }
                    finished.resume(returning: failure)
                }
            }
        } onGracefulShutdown: {
            self.requestStop()
        }
        runtime.notifier.notify("STOPPING=1")
        runtime.sourceEnded()
        workers.finish(deadline: runtime.stopDeadline)
        housekeeping.finish()
        mqtt.stop()
        runtime.logger.info("wamd stopped", metadata: metadataOfCounts())
        if let failure { throw SourceFailure(description: failure) }
    }

    /// Stops reading the source; the queued explanations are finished or dropped per `on_stop`.
    public func requestStop() {
        guard runtime.beginStop() else { return }
        runtime.logger.info("stopping")
        runtime.notifier.notify("STOPPING=1")
        pipeline.interrupt()
        // At once, not after the source has let go: a file being read waits for its queued explanations.
        if runtime.configuration.onStop != .finish { workers.dropQueued() }
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
        let (notifier, logger) = (runtime.notifier, runtime.logger)
        notifier.notify("RELOADING=1")
        defer { notifier.notify("READY=1") }
        guard let configurationPath else {
            logger.notice("reload requested, but wamd was started without a configuration file")
            return
        }
        do {
            let fresh = try ConfigurationLoader.load(path: configurationPath, overrides: overrides)
            let (newGate, newExplainer) = try Self.gateAndExplainer(fresh, classifier: classifier)
            // Model settings apply at the next start; a file that would not start is refused now.
            if fresh.modelSettings != currentConfiguration.modelSettings { _ = try Self.loadModel(fresh) }
            if mqtt.changes(from: currentConfiguration, to: fresh) { try mqtt.apply(fresh) }
            let root = outputRoot
            runtime.replace { settings in
                let old = settings.configuration
                if fresh.input != old.input || fresh.modelSettings != old.modelSettings || fresh.workers != old.workers
                    || fresh.outputDirectory != old.outputDirectory || fresh.queueLength != old.queueLength
                {
                    logger.warning("source, [model], output folder, workers and queue changes need a restart; kept the running ones")
                }
                var applied = fresh
                (applied.input, applied.modelSettings, applied.workers, applied.outputDirectory, applied.queueLength) = (
                    old.input, old.modelSettings, old.workers, old.outputDirectory, old.queueLength
                )
                settings = .init(configuration: applied, gate: newGate, explainer: newExplainer, budget: Self.budget(applied, root: root))
            }
            reloads.publish(currentConfiguration)
            logger.info("configuration reloaded", metadata: ["min_probability": "\(fresh.minProbability)", "min_dbfs": "\(fresh.minDBFS)"])
        } catch {
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
        if configuration.mqttEnabled { _ = try MQTTPublisher(configuration: configuration, logger: Logger(label: "wamd.check")) }
    }

    static func loadModel(_ c: DaemonConfiguration) throws -> Classifier {
        let bindings = try ModelBindings.parse(
            values: c.modelInputs, source: "model.inputs",
            explainedInput: c.explainInput.isEmpty ? nil : c.explainInput, output: c.explainOutput.isEmpty ? nil : c.explainOutput,
            state: c.modelState)
        let classifier = try Classifier(
            url: URL(fileURLWithPath: c.modelPath), threads: c.threads, maxBatch: c.maxBatch,
            exampleShape: c.inputShape.isEmpty ? nil : c.inputShape, bindings: bindings)
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
            maxPerClassPerMinute: c.maxPerClassPerMinute, onsetsOnly: c.onsetsOnly)
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
