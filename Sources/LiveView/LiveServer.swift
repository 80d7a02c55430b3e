import Daemon
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Workflow

/// The live view of a running daemon, served over HTTP: the dashboard, the versioned JSON API,
/// server-sent events, health and Prometheus metrics (`Docs/openapi.yaml` documents them).
///
/// Run it in the daemon's `ServiceGroup`; it stops gracefully with the group (event streams end,
/// running requests finish).
public struct LiveServer: Service {
    private let application: Application<RouterResponder<LiveRequestContext>>

    /// Prepares the server; nothing listens until `run`.
    /// - Parameters:
    ///   - settings: address, port, token and limits; refused when unsafe (see `LiveViewSettings`).
    ///   - registry: where the `wamd_*` metrics go; `/metrics` exposes everything in it (so a
    ///     swift-metrics backend bootstrapped onto it shows there too).
    ///   - onListening: called with the port once the server listens (useful with port 0).
    public init(daemon: AttributionDaemon, settings: LiveViewSettings, registry: PrometheusCollectorRegistry = .init(),
                logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        let files = WindowFiles(root: daemon.outputRoot)
        let exporter = MetricsExporter(daemon: daemon, registry: registry)
        let router = Router(context: LiveRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AccessMiddleware(token: settings.token, publicPaths: DashboardRoutes.publicPaths))
        DashboardRoutes().register(on: router)
        StatusRoutes(daemon: daemon, exporter: exporter, settings: settings, started: Date()).register(on: router)
        WindowRoutes(daemon: daemon, files: files).register(on: router)
        EventRoutes(daemon: daemon, files: files, settings: settings, clients: .init(changed: exporter.setEventClients)).register(on: router)
        UploadRoutes(daemon: daemon, files: files, exporter: exporter, settings: settings, queue: .init()).register(on: router)
        let port = settings.port
        application = Application(
            router: router,
            configuration: .init(address: .hostname(settings.bind, port: port), serverName: "wamd/\(WamVersion.current)"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// Listens until the service group shuts down (or the task is cancelled).
    /// - Throws: when the address cannot be bound.
    public func run() async throws {
        try await application.run()
    }
}
