import Daemon
import Foundation
import LiveView
import Testing

@Suite struct HealthTests {
    /// A daemon of its own on `input`, with `overrides`.
    static func daemon(_ input: String, overrides: [String] = []) throws -> AttributionDaemon {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("wam-liveview-\(UUID().uuidString)")
        return try AttributionDaemon(
            configuration: try LiveFixture.configuration(input: input, output: output, overrides: overrides),
            logger: LiveFixture.quiet, notifier: SilentNotifier())
    }

    static func health(_ daemon: AttributionDaemon) async throws -> (status: Int, body: [String: Any]) {
        let (port, server) = try await LiveFixture.serve(daemon, settings: try LiveViewSettings(daemon.currentConfiguration))
        defer { server.cancel() }
        let response = try await RawHTTP(port: port).get("/healthz")
        return (response.status, try response.json())
    }

    static func component(_ body: [String: Any], _ name: String) -> [String: Any] {
        (body["components"] as? [String: Any])?[name] as? [String: Any] ?? [:]
    }

    @Test("503 while the daemon is starting")
    func starting() async throws {
        let (status, body) = try await Self.health(try Self.daemon("file:\(LiveFixture.samples.path)/audio/piano.wav"))
        #expect(status == 503)
        #expect(body["status"] as? String == "unhealthy" && body["ready"] as? Bool == false)
        #expect((body["problems"] as? [String])?.first?.contains("starting") == true)
    }

    @Test("503 once a file source has ended")
    func ended() async throws {
        let daemon = try Self.daemon("file:\(LiveFixture.samples.path)/audio/piano.wav")
        try await daemon.run()
        let (status, body) = try await Self.health(daemon)
        #expect(status == 503)
        #expect(Self.component(body, "source")["status"] as? String == "unhealthy")
        #expect(Self.component(body, "source")["state"] as? String == "ended")
        #expect(body["problems"] as? [String] == ["the source ended"])
        #expect(Self.component(body, "explainer")["status"] as? String == "ok")
    }

    @Test("503 while a capture device is missing and being reopened")
    func reopening() async throws {
        let daemon = try Self.daemon("alsa:wam-no-such-device")
        let running = Task { try await daemon.run() }
        try await waitFor("the capture to fail", timeout: 60) { daemon.metrics.snapshot.sourceState == .reopening }
        let (status, body) = try await Self.health(daemon)
        daemon.requestStop()
        try await running.value
        #expect(status == 503)
        #expect((body["problems"] as? [String])?.contains { $0.contains("reopened") } == true)
    }

    @Test("503 while writes are paused for lack of disk space")
    func diskPaused() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wam-liveview-spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let daemon = try Self.daemon("spool:\(folder.path)", overrides: ["output.min_free_bytes=9223372036854775807"])
        let running = Task { try await daemon.run() }
        try await waitFor("writes to pause", timeout: 60) { daemon.metrics.snapshot.diskPaused && daemon.isReady }
        let (status, body) = try await Self.health(daemon)
        daemon.requestStop()
        try await running.value
        #expect(status == 503)
        #expect(Self.component(body, "disk")["status"] as? String == "unhealthy")
        #expect(Self.component(body, "disk")["writes_paused"] as? Bool == true)
        #expect(Self.component(body, "source")["status"] as? String == "ok")
        #expect(body["problems"] as? [String] == ["writes are paused: free space is under output.min_free_bytes"])
    }
}
