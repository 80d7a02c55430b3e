import Foundation
import Logging
import Synchronization
import Workflow

/// What every part of the running daemon shares: the settings SIGHUP may change, the stop flag
/// and deadline, readiness, the watchdog heartbeat, the counters and the logger.
final class DaemonRuntime: @unchecked Sendable {
    /// The settings a reload replaces together.
    struct Settings: Sendable {
        var configuration: DaemonConfiguration
        var gate: ExplanationGate
        var explainer: WindowExplainer
        var budget: DiskBudget
    }

    let metrics: DaemonMetrics
    let logger: Logger
    let notifier: any ServiceNotifier
    /// The source's name, for logs.
    let sourceName: String
    private let lock = NSLock()
    private var current: Settings
    private let stopping = Atomic<Bool>(false)
    /// When a requested stop gives up on the explanations still queued: `explain.stop_timeout` after it.
    private let deadline = Mutex<Date?>(nil)
    private let ready = Atomic<Bool>(false)
    /// Last time data flowed (a window classified, or the spool watcher alive).
    private let heartbeat = Mutex<Date?>(nil)

    init(settings: Settings, sourceName: String, metrics: DaemonMetrics, logger: Logger, notifier: any ServiceNotifier) {
        current = settings
        self.sourceName = sourceName
        self.metrics = metrics
        self.logger = logger
        self.notifier = notifier
    }

    /// The current settings.
    var settings: Settings { lock.withLock { current } }

    /// The current configuration.
    var configuration: DaemonConfiguration { lock.withLock { current.configuration } }

    /// Replaces the settings (a reload).
    func replace(_ update: (inout Settings) -> Void) {
        lock.withLock { update(&current) }
    }

    /// The gates' decision for one window (an `explain` counts against the rate limit).
    func decide(dbfs: Double, label: String, probability: Double) -> GateDecision {
        lock.withLock {
            current.gate.decide(dbfs: dbfs, label: label, probability: probability, now: Date().timeIntervalSinceReferenceDate)
        }
    }

    // MARK: - Stopping

    /// Whether a stop was requested (or the daemon is finishing).
    var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    /// Marks the daemon stopping and sets the deadline of the queued explanations; false when
    /// it was stopping already.
    func beginStop() -> Bool {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return false }
        let timeout = configuration.stopTimeout
        deadline.withLock { $0 = Date().addingTimeInterval(timeout) }
        return true
    }

    /// Marks the daemon stopping once its source has ended by itself (no deadline yet).
    func sourceEnded() {
        stopping.store(true, ordering: .sequentiallyConsistent)
    }

    /// The deadline a requested stop set, if any.
    var stopDeadline: Date? { deadline.withLock { $0 } }

    /// Sleeps in short steps so that a stop is noticed quickly.
    func sleep(seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end && !isStopping {
            Thread.sleep(forTimeInterval: min(0.05, max(0, end.timeIntervalSinceNow)))
        }
    }

    // MARK: - Readiness and liveness

    /// Whether the source is open and READY was sent.
    var isReady: Bool { ready.load(ordering: .sequentiallyConsistent) }

    /// Sends READY once, when the source first delivers (or the spool watcher first waits).
    func markReady() {
        if !ready.exchange(true, ordering: .sequentiallyConsistent) {
            notifier.notify("READY=1")
            logger.info("ready", metadata: ["source": "\(sourceName)"])
        }
    }

    /// Records that data flowed, for the watchdog.
    func beat() { heartbeat.withLock { $0 = Date() } }

    /// When data last flowed.
    var lastBeat: Date? { heartbeat.withLock { $0 } }

    /// Waits (beating the watchdog) while writes are paused for lack of space, unless stopping.
    func waitForSpace() {
        guard metrics.snapshot.diskPaused else { return }
        let state = metrics.snapshot.sourceState
        metrics.update { $0.sourceState = .waitingForSpace }
        while metrics.snapshot.diskPaused && !isStopping {
            beat()
            Thread.sleep(forTimeInterval: 0.2)
        }
        metrics.update { $0.sourceState = state }
    }

    /// Runs `body` on a new named thread, inside `group` if given.
    static func startThread(_ name: String, group: DispatchGroup?, _ body: @escaping @Sendable () -> Void) {
        group?.enter()
        let thread = Thread {
            // The name the system shows (top -H, /proc/PID/task/*/comm): at most 15 bytes.
            try? String(name.utf8.prefix(15))?.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            body()
            group?.leave()
        }
        thread.name = name
        thread.start()
    }
}
