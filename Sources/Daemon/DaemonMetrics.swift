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
    public var queueDepth = 0
    public var lastWindowTime: Date?
    public var lastClass: String?
    public var sourceState = "starting"
    public var diskPaused = false
    public var outputBytes = 0
    public var freeBytes = 0
    /// Seconds spent per classified / explained window (last 256 of each).
    public var classifySeconds: [Double] = []
    public var explainSeconds: [Double] = []
    /// Audio seconds classified, for the real-time factor.
    public var audioSeconds = 0.0
    public var processingSeconds = 0.0
}

/// Thread-safe counters of one daemon.
public final class DaemonMetrics: Sendable {
    private let state = Mutex(MetricsSnapshot())
    private let started = Date()

    public init() {}

    public var snapshot: MetricsSnapshot { state.withLock { $0 } }

    /// Applies `change` atomically.
    public func update(_ change: (inout MetricsSnapshot) -> Void) {
        state.withLock { change(&$0) }
    }

    func record(duration: Double, in keyPath: WritableKeyPath<MetricsSnapshot, [Double]>) {
        update { snapshot in
            snapshot[keyPath: keyPath].append(duration)
            if snapshot[keyPath: keyPath].count > 256 { snapshot[keyPath: keyPath].removeFirst() }
        }
    }

    /// Classified windows per second since the daemon started.
    public var windowsPerSecond: Double {
        Double(snapshot.windowsClassified) / max(Date().timeIntervalSince(started), 1e-3)
    }
}
