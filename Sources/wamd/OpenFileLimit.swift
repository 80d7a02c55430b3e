import Glibc

/// The process's limit on open files, which bounds sockets and the daemon's own files together.
enum OpenFileLimit {
    /// File descriptors kept for the daemon's own files (outputs, logs, the model, the source,
    /// the event loops) whatever the clients do.
    static let reserved = 128

    /// Raises the soft limit to the hard one (where the system call is allowed: the shipped unit
    /// sets `LimitNOFILE=` instead) and returns the soft limit in force.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
