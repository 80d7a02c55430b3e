import Daemon
import DaemonTestSupport
import Foundation
import Glibc
import Testing

@testable import LiveView

/// The listener itself: reloads of `[http]`, timeouts and connection limits, HTTPS, and a
/// start that cannot listen.
@Suite(.serialized) struct ListenerTests {
    static let model = LiveFixture.samples.appendingPathComponent("models/audio-resnet.onnx").path

    /// A wamd configuration file watching `spool`, the live view as given.
    static func configuration(spool: URL, output: URL, http: String) -> String {
        """
        [source]
        input = "spool:\(spool.path)"
        [model]
        path = "\(model)"
        [windows]
        hop = 16000
        [explain]
        method = "gradient"
        [output]
        dir = "\(output.path)"
        min_free_bytes = 0
        [log]
        level = "debug"
        [http]
        \(http)
        """
    }

    @Test(
        "a reload that rotates the token refuses the old one at once, open event streams included; reloads move the port and turn the live view off and on",
        .enabled(if: AccessTests.externalAddress != nil, "this machine has no non-loopback IPv4 address to connect from"))
    func reloadFollowsHTTPSettings() async throws {
        let scratch = try Scratch()
        let spool = scratch.path("spool"), config = scratch.path("wamd.toml")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let (old, new) = ("old-token-0123456789abcdef", "new-token-0123456789abcdef")
        let (port, otherPort) = (try WamdProcessTests.freePort(), try WamdProcessTests.freePort())
        func write(enabled: Bool = true, token: String, port: Int) throws {
            try Self.configuration(
                spool: spool, output: scratch.path("out"),
                http: """
                    enabled = \(enabled)
                    bind = "0.0.0.0"
                    port = \(port)
                    token = "\(token)"
                    allow_plain_http = true
                    """
            ).write(to: config, atomically: true, encoding: .utf8)
        }
        try write(token: old, port: port)
        let wamd = try DaemonProcess(["--config", config.path])
        defer { wamd.signal(SIGKILL) }
        let host = try #require(AccessTests.externalAddress)
        let remote = RawHTTP(host: host, port: port)
        func status(_ token: String, _ client: RawHTTP) async -> Int? {
            try? await client.get("/api/v1/info", headers: ["Authorization": "Bearer \(token)"]).status
        }
        try await waitFor("the live view", timeout: 120) { wamd.log.contains("Server started") }
        #expect(await status(old, remote) == 200)
        let stream = try await EventStream.open(host: host, port: port, headers: ["Authorization": "Bearer \(old)"])
        #expect(stream.response.status == 200)

        try write(token: new, port: port)
        wamd.signal(SIGHUP)
        var refused = false
        for _ in 0..<100 where !refused {
            try await Task.sleep(for: .milliseconds(100))
            refused = await status(old, remote) == 401
        }
        #expect(refused, "the old token still works after the reload")
        #expect(await status(new, remote) == 200)
        _ = try await stream.collect(timeout: 10) { _ in false }
        #expect(stream.ended, "an event stream opened with the old token is still open")

        // An unusable reload changes nothing.
        try write(token: "short", port: port)
        wamd.signal(SIGHUP)
        try await waitFor("the refused reload", timeout: 30) { wamd.log.contains("reload failed") }
        #expect(await status(new, remote) == 200)

        try write(enabled: false, token: new, port: port)
        wamd.signal(SIGHUP)
        var closed = false
        for _ in 0..<100 where !closed {
            try await Task.sleep(for: .milliseconds(100))
            closed = await status(new, remote) == nil
        }
        #expect(closed, "the live view still listens after a reload turned it off")

        try write(token: new, port: otherPort)
        wamd.signal(SIGHUP)
        var moved = false
        for _ in 0..<100 where !moved {
            try await Task.sleep(for: .milliseconds(100))
            moved = await status(new, RawHTTP(host: host, port: otherPort)) == 200
        }
        #expect(moved, "the live view did not come back on the new port")
        wamd.signal(SIGTERM)
        #expect(wamd.wait(timeout: 60) == 0)
        // At debug level too, where the service lifecycle prints its services' settings.
        #expect(wamd.log.contains("sl-services"))
        #expect(!wamd.log.contains(new) && !wamd.log.contains(old), "a token reached the log")
    }

    @Test(
        "idle connections and slow request heads are closed after idle_timeout; connections beyond max_connections wait, and /healthz still answers")
    func idleConnections() async throws {
        let fixture = try await LiveFixture.shared.value
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        (settings.idleTimeout, settings.maxConnections) = (1, 8)
        let (port, server) = try await fixture.serve(settings)
        defer { server.cancel() }
        let idle = try (0..<20).map { _ in try Socket(host: "127.0.0.1", port: port, timeout: 15) }
        let slow = try Socket(host: "127.0.0.1", port: port, timeout: 15)
        try slow.write(Data("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        let started = Date()
        #expect(try await RawHTTP(port: port).get("/healthz").status == 200)
        #expect(Date().timeIntervalSince(started) < 12)
        for socket in idle + [slow] {
            let ended = try await RawHTTP.offPool {
                do {
                    return try socket.read() == nil
                } catch {
                    return false  // the read timed out: still open
                }
            }
            #expect(ended, "a connection stayed open past the idle timeout")
            socket.close()
        }
    }

    @Test("with 300 idle connections under a 256-file limit, every window is logged and explained and /healthz answers")
    func fileDescriptorsStayForTheDaemon() async throws {
        let scratch = try Scratch()
        let spool = scratch.path("spool"), output = scratch.path("out")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let port = try WamdProcessTests.freePort()
        let command = [
            "ulimit -n 256 && exec", DaemonProcess.executable.path, "spool:\(spool.path)", "--model", Self.model,
            "--out", output.path, "--set", "http.enabled=true", "--set", "http.port=\(port)", "--set", "http.idle_timeout=3",
            "--set", "gates.max_per_class_per_minute=0", "--set", "explain.method=\"gradient\"", "--set", "windows.hop=16000",
            "--set", "output.min_free_bytes=0",
        ].joined(separator: " ")
        let wamd = try DaemonProcess.shell(command)
        defer { wamd.signal(SIGKILL) }
        try await waitFor("the live view", timeout: 120) { wamd.log.contains("Server started") }
        let idle = try (0..<300).map { _ in try Socket(host: "127.0.0.1", port: port, timeout: 30) }
        defer { idle.forEach { $0.close() } }
        try FileManager.default.copyItem(at: DaemonProcess.stream, to: scratch.path("stream.wav"))
        try FileManager.default.moveItem(at: scratch.path("stream.wav"), to: spool.appendingPathComponent("stream.wav"))
        try await waitFor("the stream to be processed", timeout: 240) {
            FileManager.default.fileExists(atPath: spool.appendingPathComponent("done/stream.wav").path)
        }
        #expect(try await RawHTTP(port: port).get("/healthz").status == 200)
        let folder = OutputFolder(root: output)
        try await waitFor("the explanations", timeout: 120) { folder.logLines.count == 40 && !folder.documents.isEmpty }
        #expect(folder.logLines.count == 40)
        #expect(!wamd.log.contains("Too many open files"))
        wamd.signal(SIGTERM)
        #expect(wamd.wait(timeout: 60) == 0)
    }

    /// A self-signed certificate for 127.0.0.1 and localhost, made with openssl.
    static func certificate(in scratch: Scratch) throws -> (certificate: URL, key: URL) {
        let (certificate, key) = (scratch.path("cert.pem"), scratch.path("key.pem"))
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", key.path, "-out", certificate.path,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw RawHTTP.Failure("openssl could not make a certificate") }
        return (certificate, key)
    }

    /// The status curl gets for `url` trusting `certificate` (0 when the connection failed); on
    /// a thread of its own, so that the server sharing Swift's threads can answer meanwhile.
    static func curl(_ url: String, certificate: URL) async throws -> Int {
        try await RawHTTP.offPool {
            let curl = Process(), output = Pipe()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "60", "--cacert", certificate.path, url]
            curl.standardOutput = output
            try curl.run()
            curl.waitUntilExit()
            return Int(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
        }
    }

    @Test("with tls_cert and tls_key the live view speaks HTTPS only; bad files are refused naming the key")
    func https() async throws {
        let scratch = try Scratch()
        let (certificate, key) = try Self.certificate(in: scratch)
        let fixture = try await LiveFixture.shared.value
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        settings.tls = try TLSKeyPair(certificatePath: certificate.path, keyPath: key.path)
        let (port, server) = try await fixture.serve(settings)
        defer { server.cancel() }
        #expect(try await Self.curl("https://127.0.0.1:\(port)/healthz", certificate: certificate) == 200)
        #expect(try await Self.curl("https://localhost:\(port)/api/v1/info", certificate: certificate) == 200)
        #expect(try await Self.curl("http://127.0.0.1:\(port)/healthz", certificate: certificate) != 200)

        let garbage = scratch.path("garbage.pem")
        try Data("not a key".utf8).write(to: garbage)
        #expect(throws: LiveViewError.self) { try TLSKeyPair(certificatePath: certificate.path, keyPath: garbage.path) }
        do {
            _ = try TLSKeyPair(certificatePath: garbage.path, keyPath: key.path)
        } catch {
            #expect(error.description.contains("http.tls_cert") && error.description.contains(garbage.path))
        }
        do {
            _ = try TLSKeyPair(certificatePath: certificate.path, keyPath: certificate.path)
        } catch {
            #expect(error.description.contains("http.tls_key"))
        }
    }

    @Test("a non-loopback bind needs TLS or an explicit allow_plain_http; half a key pair is refused")
    func plainHTTPNeedsConsent() throws {
        let scratch = try Scratch()
        let (certificate, key) = try Self.certificate(in: scratch)
        let output = scratch.path("out")
        let token = "token-0123456789abcdef"
        func problems(_ overrides: [String]) -> [String] {
            do {
                _ = try LiveFixture.configuration(input: "-", output: output, overrides: overrides)
                return []
            } catch let error as ConfigurationErrors {
                return error.problems.map(\.key)
            } catch {
                return ["\(error)"]
            }
        }
        let remote = ["http.bind=\"0.0.0.0\"", "http.token=\"\(token)\""]
        #expect(problems(remote) == ["http.bind"])
        #expect(problems(remote + ["http.allow_plain_http=true"]).isEmpty)
        #expect(problems(remote + ["http.tls_cert=\"\(certificate.path)\"", "http.tls_key=\"\(key.path)\""]).isEmpty)
        #expect(problems(remote + ["http.tls_cert=\"\(certificate.path)\""]) == ["http.tls_key"])
        #expect(problems(["http.tls_cert=\"\(certificate.path)\"", "http.tls_key=\"\(scratch.path("missing.pem").path)\""]) == ["http.tls_key"])
        #expect(problems(["http.bind=\"127.0.0.1\""]).isEmpty)
    }

    @Test("when the live view cannot listen, wamd never reports ready and exits 78 (not restarted by the unit) naming the cause")
    func cannotListen() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(at: scratch.path("spool"), withIntermediateDirectories: true)
        let taken = try ListeningSocket()
        let notify = try NotifySocket(path: scratch.path("notify").path)
        let wamd = try DaemonProcess(
            [
                "spool:\(scratch.path("spool").path)", "--model", Self.model, "--out", scratch.path("out").path,
                "--set", "http.enabled=true", "--set", "http.port=\(taken.port)",
            ],
            environment: ["NOTIFY_SOCKET": notify.path])
        #expect(wamd.wait(timeout: 120) == 78)
        #expect(!notify.receive(for: 0.5).contains("READY=1"))
        #expect(wamd.log.contains("port is in use"))
        _ = taken
    }
}
