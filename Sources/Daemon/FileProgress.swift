import Foundation

/// The explanations one file's windows wait for, so that a file is only called done once every
/// explanation it asked for is written: a spool file stays in `processing/` until then.
final class FileProgress: @unchecked Sendable {
    /// How one queued explanation ended.
    enum Outcome {
        case written, failed, dropped
    }

    private let condition = NSCondition()
    private var pending = 0
    private var failed = 0
    private var dropped = 0

    /// One more explanation queued.
    func add() {
        condition.withLock { pending += 1 }
    }

    func finish(_ outcome: Outcome) {
        condition.withLock {
            pending -= 1
            switch outcome {
            case .written: break
            case .failed: failed += 1
            case .dropped: dropped += 1
            }
            condition.broadcast()
        }
    }

    /// Waits until no explanation is pending, or until the time `giveUpAt` names once it names
    /// one (a stop's deadline); returns how many are still pending, failed and were dropped.
    func waitUntilSettled(giveUpAt: () -> Date?) -> (pending: Int, failed: Int, dropped: Int) {
        condition.withLock {
            while pending > 0 {
                let deadline = giveUpAt()
                if let deadline, deadline <= Date() { break }
                // Wakes at least twice a second to notice a stop requested meanwhile.
                _ = condition.wait(until: min(deadline ?? .distantFuture, Date().addingTimeInterval(0.5)))
            }
            return (pending, failed, dropped)
        }
    }
}

/// How reading one file ended.
enum FileOutcome: Equatable {
    /// Every window classified, every explanation written.
    case done
    /// Unreadable, empty or damaged, or an explanation failed: with the reason.
    case failed(String)
    /// Stopped before its results were all written; read again at the next start.
    case interrupted
}

/// What the source is doing, for the health report and metrics.
public enum SourceState: String, Sendable, Codable {
    /// Not open yet.
    case starting
    /// Capturing from the device.
    case capturing
    /// Reading a file or standard input (`MetricsSnapshot.sourceFile` names the file).
    case reading
    /// Watching the spool folder for the next file.
    case watching
    /// Waiting for free space before reading on (writes are paused).
    case waitingForSpace = "waiting-for-space"
    /// The capture device is lost and being reopened.
    case reopening
    /// The source ended (a file or standard input read to its end, or the daemon stopping).
    case ended
}
