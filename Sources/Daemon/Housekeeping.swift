import Foundation

/// The daemon's housekeeping threads: the disk budget (byte limit, retention, free-space floor
/// that pauses writes) and the status line with the watchdog ping.
final class Housekeeping: Sendable {
    private let runtime: DaemonRuntime
    private let store: OutputStore
    private let finished = DispatchGroup()

    init(runtime: DaemonRuntime, store: OutputStore) {
        self.runtime = runtime
        self.store = store
    }

    /// Where uploads are received (`OUT/.uploads/`, one private folder per upload).
    var uploadsFolder: URL { store.root.appendingPathComponent(".uploads") }

    /// Cleans up after an earlier run, applies the budget once, and starts the threads.
    func start() {
        removeLeftovers()
        enforceDiskBudget()
        DaemonRuntime.startThread("wamd-budget", group: finished) { self.budgetLoop() }
        DaemonRuntime.startThread("wamd-status", group: finished) { self.statusLoop() }
    }

    /// Waits for the threads (they end once the daemon is stopping) and applies the budget a last time.
    func finish() {
        finished.wait()
        enforceDiskBudget()
    }

    private func budgetLoop() {
        while !runtime.isStopping {
            runtime.sleep(seconds: runtime.configuration.checkInterval)
            enforceDiskBudget()
        }
    }

    /// Removes what an earlier run left half-done (temporary files of interrupted writes, uploads
    /// being received), before anything is written; counts and logs them.
    private func removeLeftovers() {
        var removed = runtime.settings.budget.removeStaleTemporaries()
        for upload in (try? FileManager.default.contentsOfDirectory(at: uploadsFolder, includingPropertiesForKeys: nil)) ?? [] {
            if (try? FileManager.default.removeItem(at: upload)) != nil { removed += 1 }
        }
        guard removed > 0 else { return }
        runtime.metrics.update { $0.staleFilesRemoved += removed }
        runtime.logger.notice("removed what an interrupted run left half-written", metadata: ["files": "\(removed)"])
    }

    /// Deletes what the byte limit and retention age require, and pauses or resumes writes by
    /// the free-space floor.
    private func enforceDiskBudget() {
        let settings = runtime.settings, metrics = runtime.metrics, logger = runtime.logger
        let floor = settings.configuration.minFreeBytes
        let result = settings.budget.enforce()
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

    /// Sends the status line every few seconds, and the watchdog ping while data flows.
    private func statusLoop() {
        let notifier = runtime.notifier, metrics = runtime.metrics
        let watchdog = notifier.watchdogInterval
        let interval = min(watchdog.map { $0 / 2 } ?? 5, 5)
        while !runtime.isStopping {
            let snapshot = metrics.snapshot
            notifier.notify(
                String(
                    format: "STATUS=%.2f windows/s, queue %d, last class %@", metrics.windowsPerSecond,
                    snapshot.queueDepth, snapshot.lastClass ?? "-"))
            if let watchdog, let last = runtime.lastBeat, Date().timeIntervalSince(last) < watchdog {
                notifier.notify("WATCHDOG=1")
            }
            runtime.sleep(seconds: interval)
        }
    }
}
