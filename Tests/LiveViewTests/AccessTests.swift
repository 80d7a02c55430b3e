import Daemon
import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import Testing

@testable import LiveView

@Suite struct AccessTests {
    static let token = "test-token-0123456789abcdef"

    /// The first non-loopback IPv4 address of this machine, if it has one.
    static let externalAddress: String? = {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            var ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
            let string = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !LoopbackAddress.contains(string) { return string }
        }
        return nil
    }()

    @Test(
        "a client on another address needs the bearer token, except for the dashboard's static files",
        .enabled(if: externalAddress != nil, "this machine has no non-loopback IPv4 address to connect from"))
    func bearer() async throws {
        let fixture = try await LiveFixture.shared.value
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        (settings.bind, settings.token) = ("0.0.0.0", Self.token)
        let (port, server) = try await fixture.serve(settings)
        defer { server.cancel() }
        let remote = RawHTTP(host: try #require(Self.externalAddress), port: port)
        for path in ["/healthz", "/metrics", "/api/v1/info", "/api/v1/windows", "/api/v1/events"] {
            let refused = try await remote.get(path)
            #expect(refused.status == 401, "\(path)")
            #expect(refused.headers["www-authenticate"] == "Bearer realm=\"wamd\"")
            #expect(try await remote.get(path, headers: ["Authorization": "Bearer wrong-token-0123456789abc"]).status == 401)
            #expect(try await remote.get(path, headers: ["Authorization": Self.token]).status == 401)
        }
        for path in ["/healthz", "/api/v1/info", "/api/v1/windows?limit=1"] {
            #expect(try await remote.get(path, headers: ["Authorization": "Bearer \(Self.token)"]).status == 200, "\(path)")
        }
        // The scheme's name is case-insensitive (RFC 7235).
        for scheme in ["bearer", "BEARER", "bEaReR"] {
            #expect(try await remote.get("/healthz", headers: ["Authorization": "\(scheme) \(Self.token)"]).status == 200, "\(scheme)")
        }
        let stream = try await EventStream.open(port: port, headers: ["Authorization": "Bearer \(Self.token)"])
        stream.close()
        #expect(stream.response.status == 200)
        for path in ["/", "/assets/dashboard.js", "/assets/dashboard.css"] {
            #expect(try await remote.get(path).status == 200, "\(path)")
        }
        let upload = try await remote.send("POST", "/api/v1/explain", headers: ["Content-Type": "audio/wav"], body: Data("x".utf8))
        #expect(upload.status == 401)
        // Loopback clients of the same server need no token.
        #expect(try await RawHTTP(port: port).get("/healthz").status == 200)
    }

    @Test("the access rule: token from other machines, loopback Host names, same-origin writes")
    func policy() throws {
        let access = AccessMiddleware(token: Self.token, publicPaths: DashboardRoutes.publicPaths)
        func status(
            _ path: String, method: HTTPRequest.Method = .get, peer: String?, authority: String? = "127.0.0.1:8080",
            headers: HTTPFields = [:], access: AccessMiddleware = access
        ) -> Int {
            let request = Request(
                head: HTTPRequest(method: method, scheme: "http", authority: authority, path: path, headerFields: headers),
                body: .init(buffer: ByteBuffer()))
            do {
                try access.check(AccessMiddleware.normalized(request), peer: peer)
                return 200
            } catch {
                return error.status.code
            }
        }
        let bearer: HTTPFields = [.authorization: "Bearer \(Self.token)"]
        #expect(status("/healthz", peer: "192.0.2.7") == 401)
        #expect(status("/healthz", peer: nil) == 401)
        #expect(status("/healthz", peer: "192.0.2.7", headers: bearer) == 200)
        #expect(status("/healthz", peer: "192.0.2.7", headers: [.authorization: "Bearer \(Self.token)x"]) == 401)
        #expect(status("/", peer: "192.0.2.7") == 200)
        #expect(status("/assets/dashboard.js", peer: "192.0.2.7") == 200)
        #expect(status("/assetsX", peer: "192.0.2.7") == 401)
        #expect(status("/assets", peer: "192.0.2.7") == 401)
        #expect(status("/assets/other.js", peer: "192.0.2.7") == 401)
        #expect(status("//healthz", peer: "192.0.2.7") == 401)
        #expect(status("//", peer: "192.0.2.7") == 200)
        #expect(status("/healthz", peer: "192.0.2.7", headers: [.authorization: "bearer \(Self.token)"]) == 200)
        #expect(status("/healthz", peer: "192.0.2.7", headers: [.authorization: "Basic \(Self.token)"]) == 401)
        #expect(status("/healthz", peer: "::ffff:192.0.2.7") == 401)
        #expect(status("/healthz", peer: "127.0.0.1") == 200)
        #expect(status("/healthz", peer: "::1", authority: "[::1]:8080") == 200)
        #expect(status("/healthz", peer: "127.0.0.1", authority: "localhost") == 200)
        #expect(status("/healthz", peer: "127.0.0.1", authority: "attacker.example:8080") == 403)
        #expect(status("/healthz", peer: "127.0.0.1", authority: "attacker.example:8080", headers: bearer) == 200)
        #expect(status("/api/v1/explain", method: .post, peer: "127.0.0.1", headers: [.origin: "http://attacker.example"]) == 403)
        #expect(status("/api/v1/explain", method: .post, peer: "127.0.0.1", headers: [.origin: "http://127.0.0.1:8080"]) == 200)
        #expect(status("/healthz", peer: "127.0.0.1", headers: [.origin: "http://attacker.example"]) == 200)
        // Without a token, only loopback clients are served, whatever they send.
        let loopbackOnly = AccessMiddleware(token: "", publicPaths: [])
        #expect(status("/healthz", peer: "192.0.2.7", headers: [.authorization: "Bearer "], access: loopbackOnly) == 401)
        #expect(status("/", peer: "192.0.2.7", access: loopbackOnly) == 401)
    }

    /// Spellings of `path` that a router ignoring empty segments, or a file system, might take
    /// for it.
    static func variants(of path: String) -> [String] {
        let inner = String(path.dropFirst())
        let first = inner.split(separator: "/").first.map(String.init) ?? inner
        return [
            "/\(path)", "//\(path)", "///\(inner)", "/./\(inner)", "\(path)/.", "/assets/../\(inner)", "/assets/%2e%2e/\(inner)",
            "/assets/..%2F\(inner)", "/%2F\(inner)", path.replacingOccurrences(of: "/", with: "%2F"),
            path.replacingOccurrences(of: "/", with: "//"), "/\(first.uppercased())\(inner.dropFirst(first.count))",
            path.uppercased(), "/assets/dashboard.js/../..\(path)", "/assets/dashboard.js%2F..%2F..\(path)",
            "/assets\\..\\\(inner)", "/assets/dashboard.js;/../..\(path)", "http://127.0.0.1\(path)",
        ]
    }

    @Test(
        "no spelling of a path (//, ///, /./, ../, %2F, %2e, case, absolute form) gets past the token",
        .enabled(if: externalAddress != nil, "this machine has no non-loopback IPv4 address to connect from"))
    func pathSpellings() async throws {
        let fixture = try await LiveFixture.shared.value
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        (settings.bind, settings.token) = ("0.0.0.0", Self.token)
        let (port, server) = try await fixture.serve(settings)
        defer { server.cancel() }
        let id = try #require(try await WindowEndpointTests.explained(fixture).first?["id"] as? String)
        let remote = RawHTTP(host: try #require(Self.externalAddress), port: port)
        let routes = [
            "/healthz", "/metrics", "/api/v1/info", "/api/v1/windows", "/api/v1/events", "/api/v1/windows/\(id)",
            "/api/v1/windows/\(id)/interpretation.wav", "/api/v1/windows/\(id)/input.wav",
            "/api/v1/windows/\(id)/scalogram.png",
        ]
        for route in routes {
            for spelling in Self.variants(of: route) {
                let response = try await remote.send("GET", spelling, headOnly: route.hasSuffix("events"))
                #expect([400, 401].contains(response.status), "GET \(spelling) answered \(response.status)")
                #expect(!response.text.contains("\"windows\"") && !response.text.contains("wamd_"), "GET \(spelling) leaked data")
            }
        }
        for spelling in Self.variants(of: "/api/v1/explain") {
            let response = try await remote.send(
                "POST", spelling, headers: ["Content-Type": "audio/wav"],
                body: try UploadTests.sample("audio/yes.wav"))
            #expect([400, 401].contains(response.status), "POST \(spelling) answered \(response.status)")
        }
        // The same spellings with the token reach the routes (collapsed slashes) or are refused as malformed.
        let bearer = ["Authorization": "Bearer \(Self.token)"]
        #expect(try await remote.get("//api//v1/windows/?limit=1", headers: bearer).status == 200)
        #expect(try await remote.get("/api/v1/./windows", headers: bearer).status == 400)
        #expect(try await remote.get("/api%2Fv1/windows", headers: bearer).status == 400)
    }

    @Test(
        "request paths: collapsed slashes, no dot segments or encoded separators",
        arguments: [
            ("/", "/"), ("//", "/"), ("/healthz", "/healthz"), ("//api//v1///windows/", "/api/v1/windows"),
            ("/api/v1/windows?limit=5&since=a//b", "/api/v1/windows?limit=5&since=a//b"), ("/x?y=../z", "/x?y=../z"),
            ("/a%20b", "/a%20b"), ("/api/v1/windows/src~2026-01-01~120000.000_yes_0.93", "/api/v1/windows/src~2026-01-01~120000.000_yes_0.93"),
        ])
    func normalization(_ target: String, _ expected: String) throws {
        #expect(try RequestPath.normalize(target) == expected)
    }

    @Test(
        "request paths refused",
        arguments: [
            "", "*", "healthz", "http://127.0.0.1/healthz", "/./healthz", "/a/../healthz", "/..", "/%2F", "/a%2fb", "/%2e%2e/x", "/a%5Cb",
            "/a\\b", "/a%00", "/a%0a", "/a%", "/a%4", "/a%zz", "/a\u{7F}",
        ])
    func refusedPaths(_ target: String) {
        #expect(throws: RequestPath.Refusal.self) { try RequestPath.normalize(target) }
    }

    @Test("a loopback client naming another host is refused (DNS rebinding); cross-origin uploads too")
    func rebinding() async throws {
        let fixture = try await LiveFixture.shared.value
        let rebound = try await fixture.client.get("/api/v1/info", headers: ["Host": "attacker.example:\(fixture.port)"])
        #expect(rebound.status == 403)
        #expect(rebound.text.contains("not a loopback name"))
        #expect(try await fixture.client.get("/api/v1/info", headers: ["Host": "localhost:\(fixture.port)"]).status == 200)
        let crossSite = try await fixture.client.send(
            "POST", "/api/v1/explain",
            headers: [
                "Origin": "http://attacker.example", "Content-Type": "audio/wav",
            ], body: try UploadTests.sample("audio/yes.wav"))
        #expect(crossSite.status == 403)
    }

    @Test("every answer carries the browser hardening headers")
    func headers() async throws {
        let fixture = try await LiveFixture.shared.value
        for path in ["/", "/healthz", "/api/v1/windows?limit=oops"] {
            let response = try await fixture.client.get(path)
            #expect(response.headers["x-content-type-options"] == "nosniff", "\(path)")
            #expect(response.headers["x-frame-options"] == "DENY")
            #expect(response.headers["referrer-policy"] == "no-referrer")
            #expect(response.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        }
        let page = try await fixture.client.get("/")
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("<script src=\"/assets/dashboard.js\" defer></script>"))
        #expect(!page.text.contains("http://") && !page.text.contains("https://"))
    }

    @Test("a non-loopback bind without a token, or with a short one, is refused before starting")
    func refusal() throws {
        let output = FileManager.default.temporaryDirectory
        var unsafe = DaemonConfiguration()
        (unsafe.httpEnabled, unsafe.httpBind) = (true, "0.0.0.0")
        #expect(throws: LiveViewError.self) { try LiveViewSettings(unsafe) }
        unsafe.httpToken = Self.token
        #expect(throws: LiveViewError.self) { try LiveViewSettings(unsafe) }  // in clear
        unsafe.allowPlainHTTP = true
        #expect(try LiveViewSettings(unsafe).token == Self.token)
        do {
            _ = try LiveFixture.configuration(input: "-", output: output, overrides: ["http.bind=\"0.0.0.0\""])
            Issue.record("the configuration was accepted")
        } catch let error as ConfigurationErrors {
            #expect(error.problems.map(\.key) == ["http.token"])
            #expect(error.description.contains("not a loopback address"))
        }
        #expect(throws: ConfigurationErrors.self) {
            try LiveFixture.configuration(input: "-", output: output, overrides: ["http.bind=\"::1\"", "http.token=\"short\""])
        }
        let loopback = try LiveViewSettings(try LiveFixture.configuration(input: "-", output: output, overrides: ["http.bind=\"::1\""]))
        #expect(loopback.bind == "::1" && loopback.token.isEmpty)
        let remote = try LiveViewSettings(
            try LiveFixture.configuration(
                input: "-", output: output,
                overrides: [
                    "http.bind=\"0.0.0.0\"", "http.token=\"\(Self.token)\"", "http.allow_plain_http=true",
                ]))
        #expect(remote.token == Self.token)
    }

    @Test(
        "loopback addresses",
        arguments: [
            ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("[::1]", true), ("::ffff:127.0.0.1", true), ("localhost", true),
            ("0.0.0.0", false), ("10.1.2.3", false), ("::", false), ("::ffff:10.0.0.1", false), ("example.com", false), ("", false),
        ])
    func loopback(_ address: String, _ expected: Bool) {
        #expect(LoopbackAddress.contains(address) == expected)
    }
}
