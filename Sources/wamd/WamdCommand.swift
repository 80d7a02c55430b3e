import ArgumentParser
import Daemon
import Foundation
import LiveView
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

@main
struct WamdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wamd",
        abstract: "The streaming attribution daemon: classify every window of a source, explain the ones that matter.",
        discussion: """
            Settings come from a TOML file (Systemd/wamd.toml is the commented example); every key can \
            be overridden with --set section.key=value. SIGTERM/SIGINT stop it (queued explanations are \
            finished or dropped per explain.on_stop), SIGHUP reloads the file without dropping the stream.
            """
    )

    @Argument(help: "Source: alsa:DEVICE, file:PATH, spool:FOLDER or - (raw PCM on standard input); overrides source.input.")
    var input: String?

    @Option(name: .customLong("config"), help: "The configuration file.")
    var configPath: String?

    @Option(name: .customLong("check-config"), help: "Validate a configuration file, explain every error, and exit.")
    var checkConfig: String?

    @Option(name: .customLong("set"), help: "Override a key: --set gates.min_probability=0.7 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Raw standard input: s16le or f32le (source.format).")
    var format: String?

    @Option(help: "Capture rate or raw input rate in Hz (source.rate).")
    var rate: Int?

    @Option(help: "Capture or raw input channels (source.channels).")
    var channels: Int?

    @Option(help: "The model (.onnx) (model.path).")
    var model: String?

    @Option(help: "Output folder (output.dir).")
    var out: String?

    func run() async throws {
        if let checkConfig {
            do {
                // Everything the daemon checks at start, the model and the live view included.
                let configuration = try ConfigurationLoader.load(path: checkConfig, overrides: allOverrides)
                try AttributionDaemon.check(configuration)
                _ = try LiveViewSettings(configuration)
                print("\(checkConfig): valid")
                return
            } catch let error as ConfigurationErrors {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(2)
            } catch let error as ConfigurationError {
                FileHandle.standardError.write(Data("\(error.located(in: checkConfig))\n".utf8))
                throw ExitCode(2)
            } catch {
                FileHandle.standardError.write(Data("\(checkConfig): \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        let path = configPath
        let configuration: DaemonConfiguration
        do {
            configuration =
                try path.map { try ConfigurationLoader.load(path: $0, overrides: allOverrides) }
                ?? ConfigurationLoader.load(text: "", file: "command line", overrides: allOverrides)
        } catch {
            // Before the configured level is known; with journald's priority prefixes under systemd.
            Logger(label: "wamd") { JournalLogHandler(label: $0) }.critical("invalid configuration\n\(error)")
            throw ExitCode(2)
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { JournalLogHandler(label: $0, level: level) }
        let logger = Logger(label: "wamd")
        let daemon: AttributionDaemon
        do {
            daemon = try AttributionDaemon(configuration: configuration, configurationPath: path, overrides: allOverrides, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(Self.unusableConfiguration)
        }
        let reloads = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) { daemon.reload() }
        }
        defer { reloads.cancel() }
        let liveView: LiveServer
        do {
            liveView = try makeLiveView(daemon: daemon, configuration: configuration, logger: logger)
        } catch {
            logger.critical("cannot start the live view", metadata: ["error": "\(error)"])
            throw ExitCode(Self.unusableConfiguration)
        }
        // READY=1 only once the live view listens, so a socket systemd forbids fails the start.
        daemon.holdReadiness { try await liveView.waitUntilListening() }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(
                        service: liveView, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as LiveViewError {
            logger.critical("cannot start the live view", metadata: ["error": "\(error)"])
            throw ExitCode(Self.unusableConfiguration)
        } catch {
            logger.critical("stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }

    /// The exit status when the configuration cannot work on this system (a model that is not
    /// usable, a socket the service may not open): EX_CONFIG, which the unit does not restart.
    static let unusableConfiguration: Int32 = 78

    /// The HTTP live view (on or off per `[http] enabled`, and SIGHUP may change that);
    /// swift-metrics is bootstrapped onto its registry, so library metrics such as Hummingbird's
    /// request counters appear on `/metrics` too. Its connection limit is lowered, with a
    /// warning, to what the open-file limit allows next to the daemon's own files.
    private func makeLiveView(daemon: AttributionDaemon, configuration: DaemonConfiguration, logger: Logger) throws -> LiveServer {
        var settings = try LiveViewSettings(configuration)
        let files = OpenFileLimit.raise()
        if settings.maxConnections > files - OpenFileLimit.reserved {
            let allowed = max(4, files - OpenFileLimit.reserved)
            logger.warning(
                "http.max_connections lowered to fit the open-file limit",
                metadata: ["configured": "\(settings.maxConnections)", "allowed": "\(allowed)", "open_file_limit": "\(files)"])
            settings.maxConnections = allowed
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return LiveServer(daemon: daemon, settings: settings, registry: registry, logger: Logger(label: "wamd.http"))
    }

    /// The shortcut options as `--set` overrides, before the explicit ones.
    var allOverrides: [String] {
        var list: [String] = []
        if let input { list.append("source.input=" + ConfigurationLoader.quoted(input)) }
        if let format { list.append("source.format=" + ConfigurationLoader.quoted(format)) }
        if let rate { list.append("source.rate=\(rate)") }
        if let channels { list.append("source.channels=\(channels)") }
        if let model { list.append("model.path=" + ConfigurationLoader.quoted(model)) }
        if let out { list.append("output.dir=" + ConfigurationLoader.quoted(out)) }
        return list + overrides
    }
}
