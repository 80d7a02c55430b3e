import CSystemd
import Foundation

/// Tells the service manager how the daemon is doing (systemd's notify protocol).
public protocol ServiceNotifier: Sendable {
    /// Sends one state line, e.g. `READY=1`, `STATUS=...`, `WATCHDOG=1`.
    func notify(_ state: String)
    /// The watchdog interval the manager expects, if any.
    var watchdogInterval: TimeInterval? { get }
}

/// `sd_notify` from libsystemd: a datagram to `NOTIFY_SOCKET`, nothing when the variable is unset.
public struct SystemdNotifier: ServiceNotifier {
    public init() {}

    public func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    public var watchdogInterval: TimeInterval? {
        var microseconds: UInt64 = 0
        return sd_watchdog_enabled(0, &microseconds) > 0 ? Double(microseconds) / 1e6 : nil
    }
}
