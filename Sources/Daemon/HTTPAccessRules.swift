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
    /// What is wrong with the `[http]` access settings, if anything: a non-loopback bind
    /// without a token, or a token too short to resist guessing.
    public var httpAccessProblem: (key: String, message: String)? {
        if !LoopbackAddress.contains(httpBind) && httpToken.isEmpty {
            return ("token", "http.bind = \"\(httpBind)\" is not a loopback address, so a bearer token is required "
                        + "(set http.token, e.g. to the output of `openssl rand -hex 32`, or bind to 127.0.0.1)")
        }
        if !httpToken.isEmpty && httpToken.count < 16 {
            return ("token", "expected at least 16 characters (e.g. the output of `openssl rand -hex 32`)")
        }
        return nil
    }
}
