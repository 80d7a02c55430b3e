import Daemon
import Foundation
import HTTPTypes
import Hummingbird

/// Who may do what, judged on the request's normalised path (`RequestPath`), which is also the
/// path the router then sees:
/// - clients on another machine must send `Authorization: Bearer <token>` (the scheme in any
///   case) for everything but the dashboard's static files (an exact list; they hold no data);
/// - loopback clients need no token, but must name a loopback host (`Host: localhost`,
///   `127.0.0.1`, `[::1]`), so that a web page cannot reach the API through DNS rebinding;
/// - a state-changing request carrying an `Origin` must come from the live view's own origin
///   (no cross-site uploads).
///
/// Every response gets headers that keep browsers from sniffing types, framing the dashboard or
/// leaking its URLs, and a content security policy that allows only the live view itself.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = LiveRequestContext

    /// The bearer token; empty when none is configured (then only loopback clients are served).
    let token: String
    /// Paths served to anyone who can connect, compared exactly with the normalised path.
    let publicPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            let normalized = try Self.normalized(request)
            try check(normalized, peer: context.remoteAddress?.ipAddress)
            response = try await next(normalized, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers.append(contentsOf: Self.securityHeaders)
        return response
    }

    /// `request` with its path in normal form (400 when it has none).
    static func normalized(_ request: Request) throws(APIError) -> Request {
        let target = request.head.path ?? ""
        let path: String
        do {
            path = try RequestPath.normalize(target)
        } catch {
            throw APIError(.badRequest, error.description)
        }
        guard path != target else { return request }
        var head = request.head
        head.path = path
        return Request(head: head, body: request.body)
    }

    /// Throws the refusal of `request` (its path already normalised) from `peer` (an IP
    /// address), if it is refused.
    func check(_ request: Request, peer: String?) throws(APIError) {
        let authorized = hasToken(request)
        if let peer, LoopbackAddress.contains(peer) {
            if !authorized, let host = request.head.authority, !LoopbackAddress.contains(Self.hostName(host)) {
                throw APIError(
                    .forbidden,
                    "Host \"\(host)\" is not a loopback name; use http://127.0.0.1 or http://localhost, "
                        + "or send the bearer token")
            }
        } else if !authorized && !publicPaths.contains(request.uri.path) {
            throw APIError(
                .unauthorized, token.isEmpty ? "only loopback clients are served" : "send \"Authorization: Bearer <token>\"",
                headers: [.wwwAuthenticate: "Bearer realm=\"wamd\""])
        }
        if ![.get, .head, .options].contains(request.method), let origin = request.headers[.origin],
            URL(string: origin).flatMap(Self.authority) != request.head.authority
        {
            throw APIError(.forbidden, "cross-origin request from \(origin) refused")
        }
    }

    /// Whether `request` carries the configured token (compared in constant time) after the
    /// `Bearer` scheme, whose name is case-insensitive (RFC 7235).
    private func hasToken(_ request: Request) -> Bool {
        guard !token.isEmpty, let header = request.headers[.authorization] else { return false }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let sent = Array(parts[1].trimmingCharacters(in: .whitespaces).utf8), expected = Array(token.utf8)
        guard sent.count == expected.count else { return false }
        return zip(sent, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The host of a `Host` value: `[::1]:8080` gives `::1`, `localhost:8080` gives `localhost`.
    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// `host[:port]` of an origin URL, as browsers send it in `Host`.
    private static func authority(_ url: URL) -> String? {
        guard let host = url.host else { return nil }
        let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return url.port.map { "\(name):\($0)" } ?? name
    }

    static let securityHeaders: HTTPFields = [
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
            + "connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ]
}
