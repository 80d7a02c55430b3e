import Daemon
import Foundation
import LiveView
import Logging
import Prometheus
import ServiceLifecycle

/// A daemon watching a spool folder, fed the bundled 40 s stream once at the start, and a live
/// view on it (loopback, no token). Shared by the tests: the daemon's windows and explanations
/// are made once; tests add servers with other settings, uploads and spool files as they need.
final class LiveFixture: Sendable {
    static let shared = Task { try await LiveFixture() }

    let daemon: AttributionDaemon
    let folder: URL
    let spool: URL
    let output: URL
    /// The port of the loopback live view.
    let port: Int

    /// The repository's `Samples` folder.
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples")

    static let quiet = Logger(label: "wamd-tests") { _ in SwiftLogNoOpLogHandler() }

    private init() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("wam-liveview-\(UUID().uuidString)")
        spool = folder.appendingPathComponent("spool")
        output = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        daemon = try AttributionDaemon(
            configuration: try Self.configuration(input: "spool:\(spool.path)", output: output),
            logger: Self.quiet, notifier: SilentNotifier())
        let daemon = daemon
        Task { try await daemon.run() }
        var settings = try LiveViewSettings(daemon.currentConfiguration)
        settings.maxPendingUploads = 64  // the tests upload in parallel
        port = try await Self.serve(daemon, settings: settings).port
        try feed("audio/stream-40s.wav", as: "stream-40s.wav")
        try await waitFor("the stream's windows to be explained", timeout: 300) {
            FileManager.default.fileExists(atPath: self.spool.appendingPathComponent("done/stream-40s.wav").path)
                && daemon.metrics.snapshot.queueDepth == 0 && daemon.metrics.snapshot.windowsExplained >= 5
        }
    }

    /// A daemon configuration for the tests: the bundled audio model, one window per second,
    /// gradient explanations of windows at p >= 0.6 without a rate limit, the live view on; then
    /// `overrides` (`section.key=value`).
    static func configuration(input: String, output: URL, overrides: [String] = []) throws -> DaemonConfiguration {
        try ConfigurationLoader.load(
            text: """
                [source]
                input = "\(input)"
                [model]
                path = "\(samples.appendingPathComponent("models/audio-resnet.onnx").path)"
                [windows]
                hop = 16000
                [gates]
                min_probability = 0.6
                max_per_class_per_minute = 0
                [explain]
                method = "gradient"
                queue = 64
                [output]
                dir = "\(output.path)"
                min_free_bytes = 0
                check_interval = 0.2
                [http]
                enabled = true
                """, file: "test.toml", overrides: overrides)
    }

    /// Starts a live view of `daemon` on a free port; returns the port and the task running it
    /// (cancel it to stop).
    static func serve(
        _ daemon: AttributionDaemon, settings: LiveViewSettings,
        registry: PrometheusCollectorRegistry = .init()
    ) async throws -> (port: Int, task: Task<Void, Error>) {
        var settings = settings
        settings.port = 0
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = LiveServer(daemon: daemon, settings: settings, registry: registry, logger: quiet) { continuation.yield($0) }
        let task = Task {
            defer { continuation.finish() }
            try await server.run()
        }
        for await port in ports { return (port, task) }
        try await task.value
        throw RawHTTP.Failure("the live view stopped before listening")
    }

    /// Starts another live view of the shared daemon.
    func serve(_ settings: LiveViewSettings, registry: PrometheusCollectorRegistry = .init()) async throws -> (port: Int, task: Task<Void, Error>) {
        try await Self.serve(daemon, settings: settings, registry: registry)
    }

    /// Copies a sample into the spool folder under a new name (atomically, as recorders should).
    @discardableResult
    func feed(_ sample: String, as name: String? = nil) throws -> String {
        let name = name ?? "\(UUID().uuidString.prefix(8))-\((sample as NSString).lastPathComponent)"
        let hidden = folder.appendingPathComponent(".\(name)")
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent(sample), to: hidden)
        try FileManager.default.moveItem(at: hidden, to: spool.appendingPathComponent(name))
        return name
    }

    /// The client of the loopback live view.
    var client: RawHTTP { RawHTTP(port: port) }
}

/// Waits until `condition` holds, polling every 50 ms for `timeout` seconds' worth of polls: time
/// during which other tests keep Swift's threads busy (and this task asleep) does not count.
func waitFor(_ what: String, timeout: Double, _ condition: @escaping @Sendable () -> Bool) async throws {
    for _ in 0..<Int(timeout * 20) {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    if !condition() { throw RawHTTP.Failure("timed out waiting for \(what)") }
}

/// A service manager that hears nothing.
struct SilentNotifier: ServiceNotifier {
    func notify(_ state: String) {}
    var watchdogInterval: TimeInterval? { nil }
}
