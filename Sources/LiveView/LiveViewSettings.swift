import Daemon

/// How the live view listens and whom it serves: the `[http]` section plus fixed limits.
public struct LiveViewSettings: Sendable, Equatable {
    /// Address to listen on; anything but loopback needs `token`.
    public var bind: String
    /// TCP port; 0 picks a free one (see `LiveServer`'s `onListening`).
    public var port: Int
    /// Bearer token non-loopback clients must send; empty for none.
    public var token: String
    /// Largest accepted upload body.
    public var maxUploadBytes: Int
    /// Windows explained at most per upload without `?window=`.
    public var maxUploadWindows = 16
    /// Uploads explained or waiting at once; more are refused with 503.
    public var maxPendingUploads = 2
    /// Open event streams at once; more are refused with 503.
    public var maxEventClients = 32
    /// Seconds between keep-alive comments on event streams.
    public var eventKeepAlive = 15.0

    /// The settings of `configuration`'s `[http]` section.
    /// - Throws: `LiveViewError` when the access settings are unsafe (a non-loopback bind
    ///   without a token), so the live view refuses to start.
    public init(_ configuration: DaemonConfiguration) throws(LiveViewError) {
        if let problem = configuration.httpAccessProblem { throw LiveViewError("http.\(problem.key): \(problem.message)") }
        bind = configuration.httpBind
        port = configuration.httpPort
        token = configuration.httpToken
        maxUploadBytes = configuration.maxUploadBytes
    }
}

/// Why the live view cannot start.
public struct LiveViewError: Error, CustomStringConvertible, Equatable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
