import Foundation
import Glibc
import Testing

/// The `wamd` executable with the live view switched on.
@Suite struct WamdProcessTests {
    /// The built `wamd`, beside the test bundle in the build products folder.
    static let executable: URL? = sequence(first: Bundle.main.bundleURL) { $0.path == "/" ? nil : $0.deletingLastPathComponent() }
        .prefix(3).map { $0.appendingPathComponent("wamd") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// A TCP port nobody listens on right now.
    static func freePort() throws -> Int {
        try ListeningSocket().port
    }

    static func wamd(_ arguments: [String]) throws -> (process: Process, errors: Pipe) {
        guard let executable = Self.executable else { throw RawHTTP.Failure("wamd is not built beside the tests") }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    @Test("wamd serves the live view next to the daemon and stops cleanly on SIGTERM")
    func serves() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wam-wamd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("spool"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try Self.freePort()
        let (process, errors) = try Self.wamd([
            "spool:\(folder.path)/spool", "--model", LiveFixture.samples.appendingPathComponent("models/audio-resnet.onnx").path,
            "--out", folder.appendingPathComponent("out").path, "--set", "http.enabled=true", "--set", "http.port=\(port)",
        ])
        let client = RawHTTP(port: port)
        var health: RawHTTP.Response?
        for _ in 0..<600 where health?.status != 200 {
            try await Task.sleep(for: .milliseconds(100))
            health = try? await client.get("/healthz")
        }
        #expect(health?.status == 200)
        #expect(try await client.get("/").text.contains("wamd live view"))
        let metrics = try PrometheusText(try await client.get("/metrics").text)
        #expect(metrics.value("wamd_source_up") == 1)
        #expect(metrics.types["hb_requests"] == "counter", "swift-metrics is bootstrapped onto the same registry")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("wamd stopped"))
    }

    @Test("wamd refuses a non-loopback live view without a token, naming the key")
    func refuses() throws {
        let (process, errors) = try Self.wamd([
            "-", "--model", LiveFixture.samples.appendingPathComponent("models/audio-resnet.onnx").path,
            "--set", "http.enabled=true", "--set", "http.bind=\"0.0.0.0\"",
        ])
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(message.contains("http.token") && message.contains("not a loopback address"))
    }
}
