import Foundation
import Synchronization

/// What the daemon has done so far, for status lines, health checks and metrics.
public struct MetricsSnapshot: Sendable, Codable, Equatable {
    public var windowsClassified = 0
    public var windowsExplained = 0
    /// Classified windows not explained, by gate decision.
    public var windowsGated: [String: Int] = [:]
    /// Explanations dropped from a full queue (oldest first) or at a stop without finishing.
    public var explanationsDropped = 0
    public var explanationsFailed = 0
    /// Input problems: unreadable or corrupt files, non-finite samples, lost devices.
    public var inputErrors = 0
    public var overruns = 0
    public var bytesWritten = 0
    public var filesDeleted = 0
    public var bytesDeleted = 0
    /// Explanations not written because free space was under the floor.
    public var writesSkippedLowDisk = 0
    /// Temporary files of interrupted writes (and unfinished uploads) removed at start.
    public var staleFilesRemoved = 0
    public var queueDepth = 0
    public var lastWindowTime: Date?
    public var lastClass: String?
    public var sourceState = SourceState.starting
    /// The file being read (spool and file sources).
    public var sourceFile: String?
    public var diskPaused = false
    public var outputBytes = 0
    public var freeBytes = 0
    /// Seconds spent per classified / explained window (last 256 of each).
    public var classifySeconds: [Double] = []
    public var explainSeconds: [Double] = []
    /// Audio seconds classified, for the real-time factor.
    public var audioSeconds = 0.0
    /// Seconds spent classifying and explaining (all threads), for the real-time factor.
    public var processingSeconds = 0.0
}

/// The timed steps of a window's way through the daemon.
public enum TimedStep: Sendable {
    /// The model's forward pass and the gates.
    case classify
    /// One explanation, including writing its files.
    case explain
}

/// Thread-safe counters of one daemon.
public final class DaemonMetrics: Sendable {
    private let state = Mutex(MetricsSnapshot())
    private let observers = Mutex<[@Sendable (TimedStep, Double) -> Void]>([])
    private let started = Date()

    public init() {}

    public var snapshot: MetricsSnapshot { state.withLock { $0 } }

    /// Applies `change` atomically.
    public func update(_ change: (inout MetricsSnapshot) -> Void) {
        state.withLock { change(&$0) }
    }

    /// Calls `observer` with every duration recorded from now on (e.g. to fill histograms), on
    /// the thread that recorded it.
    public func observeDurations(_ observer: @escaping @Sendable (TimedStep, Double) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func record(_ step: TimedStep, seconds: Double) {
        let keyPath: WritableKeyPath<MetricsSnapshot, [Double]> = step == .classify ? \.classifySeconds : \.explainSeconds
        update { snapshot in
            snapshot[keyPath: keyPath].append(seconds)
            if snapshot[keyPath: keyPath].count > 256 { snapshot[keyPath: keyPath].removeFirst() }
            snapshot.processingSeconds += seconds
        }
        for observer in observers.withLock({ $0 }) { observer(step, seconds) }
    }

    /// Classified windows per second since the daemon started.
    public var windowsPerSecond: Double {
        Double(snapshot.windowsClassified) / max(Date().timeIntervalSince(started), 1e-3)
    }
}
