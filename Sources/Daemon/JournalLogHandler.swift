import Foundation
import Logging
import Synchronization

/// swift-log output for a daemon: lines on standard error with syslog priority prefixes and no
/// timestamps under systemd (journald adds both), ISO timestamps otherwise. A message repeated
/// within `window` seconds is written once, then summarised with its count.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let underJournal: Bool
    private let repeats: RepeatFilter

    public init(
        label: String, level: Logger.Level = .info, window: TimeInterval = 10,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.label = label
        logLevel = level
        underJournal = environment["JOURNAL_STREAM"] != nil || environment["INVOCATION_ID"] != nil
        repeats = RepeatFilter(window: window)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(event.message)\(details)"
        for message in repeats.admit(text, level: event.level) {
            // Every line of a message carries the priority (journald reads each line alone).
            let rendered = message.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                underJournal ? "<\(Self.priority(event.level))>\(line)\n" : "\(Date().formatted(.iso8601)) \(event.level) \(label): \(line)\n"
            }.joined()
            FileHandle.standardError.write(Data(rendered.utf8))
        }
    }

    /// Syslog priorities (journald reads `<N>` prefixes).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

/// Lets a message through once per window; when it comes back after the window, reports how
/// often it was suppressed.
final class RepeatFilter: Sendable {
    private struct Seen { var first: Date; var suppressed: Int }
    private let seen = Mutex<[String: Seen]>([:])
    private let window: TimeInterval

    init(window: TimeInterval) {
        self.window = window
    }

    /// The lines to write for `message` now.
    func admit(_ message: String, level: Logger.Level, now: Date = Date()) -> [String] {
        seen.withLock { seen in
            if var entry = seen[message], now.timeIntervalSince(entry.first) < window {
                entry.suppressed += 1
                seen[message] = entry
                return []
            }
            let summary = seen[message].flatMap { $0.suppressed > 0 ? "(repeated \($0.suppressed) more times) \(message)" : nil }
            seen[message] = Seen(first: now, suppressed: 0)
            if seen.count > 1000 { seen = seen.filter { now.timeIntervalSince($0.value.first) < window } }
            return [summary ?? message]
        }
    }
}
