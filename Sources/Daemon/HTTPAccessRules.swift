import Foundation
import Glibc

/// Which addresses only the machine itself can reach: the live view serves loopback clients
/// without a token and refuses a non-loopback bind without one.
public enum LoopbackAddress {
    /// Whether `host` (an IPv4 or IPv6 literal, or `localhost`) is a loopback address:
    /// `127.0.0.0/8`, `::1` or an IPv4-mapped `::ffff:127.x.y.z`.
    public static func contains(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }
}

extension DaemonConfiguration {
    /// Whether the live view serves HTTPS (both `tls_cert` and `tls_key` set).
    public var httpUsesTLS: Bool { !tlsCertificatePath.isEmpty && !tlsKeyPath.isEmpty }

    /// What is wrong with the `[http]` access settings, if anything: a non-loopback bind
    /// without a token, or in clear without `allow_plain_http`; a token too short to resist
    /// guessing; half a TLS key pair, or one that cannot be read.
    public var httpAccessProblem: (key: String, message: String)? {
        if tlsCertificatePath.isEmpty != tlsKeyPath.isEmpty {
            return (
                tlsCertificatePath.isEmpty ? "tls_cert" : "tls_key",
                "set both http.tls_cert and http.tls_key (PEM files) to serve HTTPS, or neither"
            )
        }
        for (key, path) in [("tls_cert", tlsCertificatePath), ("tls_key", tlsKeyPath)] where !path.isEmpty {
            if !FileManager.default.isReadableFile(atPath: path) {
                return (
                    key,
                    "cannot read \"\(path)\" (under systemd, pass it with LoadCredential= and name "
                        + "/run/credentials/wamd.service/...; see the README's security section)"
                )
            }
        }
        let remote = !LoopbackAddress.contains(httpBind)
        if remote && httpToken.isEmpty {
            return (
                "token",
                "http.bind = \"\(httpBind)\" is not a loopback address, so a bearer token is required "
                    + "(set http.token, e.g. to the output of `openssl rand -hex 32`, or bind to 127.0.0.1)"
            )
        }
        if !httpToken.isEmpty && httpToken.count < 16 {
            return ("token", "expected at least 16 characters (e.g. the output of `openssl rand -hex 32`)")
        }
        if remote && !httpUsesTLS && !allowPlainHTTP {
            return (
                "bind",
                "http.bind = \"\(httpBind)\" is not a loopback address, so the token and the recordings would cross "
                    + "the network in clear: set http.tls_cert and http.tls_key to serve HTTPS, or put a TLS-terminating "
                    + "reverse proxy in front and set http.allow_plain_http = true"
            )
        }
        return nil
    }
}
