import Daemon
import Foundation
import HummingbirdTLS
import NIOCore

/// How the live view listens and whom it serves: the `[http]` section plus fixed limits.
public struct LiveViewSettings: Sendable, Equatable {
    /// Whether to listen at all (`http.enabled`); SIGHUP may turn it on or off.
    public var enabled: Bool
    /// Address to listen on; anything but loopback needs `token`, and TLS or `allow_plain_http`.
    public var bind: String
    /// TCP port; 0 picks a free one (see `LiveServer`'s `onListening`).
    public var port: Int
    /// Bearer token non-loopback clients must send; empty for none.
    public var token: String
    /// The certificate and key served over HTTPS; nil for plain HTTP.
    public var tls: TLSKeyPair?
    /// Largest accepted upload body.
    public var maxUploadBytes: Int
    /// Connections served at once; more wait in the kernel's backlog until one closes.
    public var maxConnections: Int
    /// Seconds a connection may idle between requests, take for its request head, or pause
    /// within a body.
    public var idleTimeout: Double
    /// Windows explained at most per upload without `?window=`.
    public var maxUploadWindows = 16
    /// Uploads explained or waiting at once; more are refused with 503 before their body is read.
    public var maxPendingUploads = 2
    /// Open event streams at once; more are refused with 503.
    public var maxEventClients = 32
    /// Seconds between keep-alive comments on event streams.
    public var eventKeepAlive = 15.0

    /// The settings of `configuration`'s `[http]` section.
    /// - Throws: `LiveViewError` when the access settings are unsafe (a non-loopback bind
    ///   without a token, or in clear without `allow_plain_http`) or the TLS files are not a
    ///   usable PEM certificate chain and private key, so the live view refuses to start.
    public init(_ configuration: DaemonConfiguration) throws(LiveViewError) {
        (enabled, bind, port, token, tls, maxUploadBytes, maxConnections, idleTimeout) = (false, "", 0, "", nil, 0, 0, 0)
        try apply(configuration)
    }

    /// These settings with the `[http]` values of `configuration` (a reloaded file); the fixed
    /// limits are kept.
    public func updated(from configuration: DaemonConfiguration) throws(LiveViewError) -> LiveViewSettings {
        var updated = self
        try updated.apply(configuration)
        return updated
    }

    private mutating func apply(_ configuration: DaemonConfiguration) throws(LiveViewError) {
        if let problem = configuration.httpAccessProblem { throw LiveViewError("http.\(problem.key): \(problem.message)") }
        enabled = configuration.httpEnabled
        bind = configuration.httpBind
        port = configuration.httpPort
        token = configuration.httpToken
        tls =
            configuration.httpUsesTLS
            ? try TLSKeyPair(certificatePath: configuration.tlsCertificatePath, keyPath: configuration.tlsKeyPath) : nil
        maxUploadBytes = configuration.maxUploadBytes
        maxConnections = configuration.maxConnections
        idleTimeout = configuration.idleTimeout
    }
}

/// A PEM certificate chain and its private key, read once and checked; equal when the files
/// held the same bytes (so a reload notices a renewed certificate).
public struct TLSKeyPair: Sendable, Equatable {
    public let certificatePath: String
    public let keyPath: String
    private let certificatePEM: [UInt8]
    private let keyPEM: [UInt8]

    /// Reads and parses both files.
    /// - Throws: `LiveViewError` naming the file that is unreadable or not PEM of the right kind.
    public init(certificatePath: String, keyPath: String) throws(LiveViewError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        func read(_ path: String, key: String) throws(LiveViewError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LiveViewError("http.\(key): cannot read \"\(path)\"")
            }
            return Array(data)
        }
        certificatePEM = try read(certificatePath, key: "tls_cert")
        keyPEM = try read(keyPath, key: "tls_key")
        _ = try configuration()
    }

    /// The server-side TLS configuration (TLS 1.2 and later).
    /// - Throws: `LiveViewError` naming the file that does not parse.
    public func configuration() throws(LiveViewError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificatePEM)
        } catch {
            throw LiveViewError("http.tls_cert: \"\(certificatePath)\" is not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw LiveViewError("http.tls_cert: \"\(certificatePath)\" holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)
        } catch {
            throw LiveViewError("http.tls_key: \"\(keyPath)\" is not a PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}

/// Why the live view cannot start.
public struct LiveViewError: Error, CustomStringConvertible, Equatable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    /// Why a listener on `settings`' address failed, with what to do about it.
    init(cannotListenOn settings: LiveViewSettings, because error: any Error) {
        let address = "\(settings.bind):\(settings.port)"
        switch (error as? IOError)?.errnoCode {
        case EAFNOSUPPORT, EPERM, EACCES:
            self.init(
                "the live view may not open an IP socket on \(address) (\(error)); under systemd, install "
                    + "Systemd/wamd-http.conf as /etc/systemd/system/wamd.service.d/http.conf (`make install` does when "
                    + "[http] enabled = true), then `systemctl daemon-reload`")
        case EADDRINUSE:
            self.init("the live view cannot listen on \(address): the port is in use; choose another http.port")
        case EADDRNOTAVAIL:
            self.init("the live view cannot listen on \(address): no interface of this machine has that address; check http.bind")
        default:
            self.init("the live view cannot listen on \(address): \(error)")
        }
    }
}

extension LiveViewSettings: CustomStringConvertible {
    /// The settings as logs show them (the service lifecycle prints its services): the token
    /// only as set or not.
    public var description: String {
        "LiveViewSettings(enabled: \(enabled), bind: \(bind), port: \(port), token: \(token.isEmpty ? "none" : "set"), "
            + "tls: \(tls == nil ? "off" : "on"), maxUploadBytes: \(maxUploadBytes), maxConnections: \(maxConnections), "
            + "idleTimeout: \(idleTimeout))"
    }
}
