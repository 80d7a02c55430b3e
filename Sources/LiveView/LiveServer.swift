import Daemon
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import Workflow

/// The live view of a running daemon, served over HTTP or HTTPS: the dashboard, the versioned
/// JSON API, server-sent events, health and Prometheus metrics (`Docs/openapi.yaml` documents
/// them).
///
/// Run it in the daemon's `ServiceGroup`; it stops gracefully with the group (event streams end,
/// running requests finish). It follows the daemon's reloads: when the `[http]` section changes
/// (token, address, port, TLS files, limits, on or off) the listener is closed and opened again
/// with the new settings, so a rotated token stops working at once, open event streams
/// included. When the new settings cannot listen, the previous ones are restored.
public struct LiveServer: Service {
    private let daemon: AttributionDaemon
    private let settings: LiveViewSettings
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void
    private let exporter: MetricsExporter
    /// Kept across restarts of the listener.
    private let uploads = UploadRoutes.UploadQueue()
    private let eventClients: EventRoutes.ClientCount
    private let started = Date()
    private let control: ListenerControl

    /// Prepares the server; nothing listens until `run`.
    /// - Parameters:
    ///   - settings: address, port, token and limits; refused when unsafe (see `LiveViewSettings`).
    ///   - registry: where the `wamd_*` metrics go; `/metrics` exposes everything in it (so a
    ///     swift-metrics backend bootstrapped onto it shows there too).
    ///   - onListening: called with the port each time the server starts listening (useful with
    ///     port 0).
    public init(
        daemon: AttributionDaemon, settings: LiveViewSettings, registry: PrometheusCollectorRegistry = .init(),
        logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.daemon = daemon
        self.settings = settings
        self.logger = logger
        self.onListening = onListening
        exporter = MetricsExporter(daemon: daemon, registry: registry)
        eventClients = EventRoutes.ClientCount(changed: exporter.setEventClients)
        control = ListenerControl(initial: settings)
    }

    /// Returns once the first listener is up (at once when the live view is off).
    /// - Throws: why the first listener could not start.
    public func waitUntilListening() async throws {
        try await control.waitUntilStarted()
    }

    /// Listens until the service group shuts down (or the task is cancelled), restarting the
    /// listener when a reload changes the `[http]` settings.
    /// - Throws: when the first listener cannot bind its address.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { [daemon, control, logger] in
                for await configuration in daemon.reloads.subscribe() {
                    do {
                        control.request(try control.wanted.updated(from: configuration))
                    } catch {
                        logger.error("the reloaded [http] settings are unusable; kept the running ones", metadata: ["error": "\(error)"])
                    }
                }
            }
            defer { tasks.cancelAll() }
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await listen()
                } onGracefulShutdown: {
                    control.stop()
                }
            } onCancel: {
                control.stop()
            }
        }
    }

    /// Runs one listener after another, each with the settings wanted when it starts.
    private func listen() async throws {
        var lastGood: LiveViewSettings?
        while let wanted = await control.next() {
            let listening = Atomic<Bool>(false)
            let application = try makeApplication(wanted) { port in
                listening.store(true, ordering: .sequentiallyConsistent)
                control.markStarted()
                await onListening(port)
            }
            let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
            guard control.begin(group, with: wanted) else { continue }
            do {
                try await group.run()
                control.end()
                if listening.load(ordering: .sequentiallyConsistent) { lastGood = wanted }
            } catch {
                control.end()
                guard let previous = lastGood, previous != wanted else {
                    let failure = LiveViewError(cannotListenOn: wanted, because: error)
                    control.markFailed(failure)
                    throw failure
                }
                logger.error(
                    "cannot listen with the reloaded [http] settings; back to the previous ones",
                    metadata: ["bind": "\(wanted.bind)", "port": "\(wanted.port)", "error": "\(error)"])
                control.request(previous)
            }
        }
    }

    private func makeApplication(
        _ settings: LiveViewSettings,
        onListening: @escaping @Sendable (Int) async -> Void
    ) throws -> some ApplicationProtocol {
        let files = WindowFiles(root: daemon.outputRoot)
        let router = Router(context: LiveRequestContext.self, options: .autoGenerateHeadEndpoints)
        let endpoints = Endpoints(router: router)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AccessMiddleware(token: settings.token, publicPaths: DashboardRoutes.publicPaths))
        router.add(middleware: EndpointMiddleware(table: endpoints.table))
        DashboardRoutes().register(on: endpoints)
        StatusRoutes(daemon: daemon, exporter: exporter, settings: settings, started: started).register(on: endpoints)
        WindowRoutes(daemon: daemon, files: files).register(on: endpoints)
        EventRoutes(daemon: daemon, files: files, settings: settings, clients: eventClients).register(on: endpoints)
        UploadRoutes(daemon: daemon, files: files, exporter: exporter, settings: settings, queue: uploads).register(on: endpoints)
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .milliseconds(Int64(settings.idleTimeout * 1000))))
        let server = try settings.tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: try $0.configuration()) } ?? http1
        let port = settings.port
        return Application(
            router: router, server: server,
            configuration: .init(
                address: .hostname(settings.bind, port: port), serverName: "wamd/\(WamVersion.current)",
                availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}

/// Which listener should run, the one that runs, and who waits for what: shared by the listen
/// loop, the reload follower and the graceful shutdown.
final class ListenerControl: Sendable {
    private struct State {
        var wanted: LiveViewSettings
        var running: (group: ServiceGroup, settings: LiveViewSettings)?
        var stopping = false
        var wake: CheckedContinuation<Void, Never>?
        /// nil until the first listener started (or failed), then its outcome.
        var startup: Result<Void, any Error>?
        var startupWaiters: [CheckedContinuation<Void, any Error>] = []
    }

    private let state: Mutex<State>

    init(initial: LiveViewSettings) {
        state = Mutex(State(wanted: initial, startup: initial.enabled ? nil : .success(())))
    }

    /// The settings the next listener should use.
    var wanted: LiveViewSettings { state.withLock { $0.wanted } }

    /// Asks for `settings`; a running listener with other settings is shut down to make way.
    func request(_ settings: LiveViewSettings) {
        let (group, wake) = state.withLock { state -> (ServiceGroup?, CheckedContinuation<Void, Never>?) in
            state.wanted = settings
            let wake = state.wake
            state.wake = nil
            return (state.running.flatMap { $0.settings == settings ? nil : $0.group }, wake)
        }
        wake?.resume()
        if let group { Task { await group.triggerGracefulShutdown() } }
    }

    /// Stops the running listener and the loop.
    func stop() {
        let (group, wake, waiters) = state.withLock { state in
            state.stopping = true
            defer { (state.wake, state.startupWaiters) = (nil, []) }
            if state.startup == nil { state.startup = .failure(CancellationError()) }
            return (state.running?.group, state.wake, state.startupWaiters)
        }
        wake?.resume()
        for waiter in waiters { waiter.resume(throwing: CancellationError()) }
        if let group { Task { await group.triggerGracefulShutdown() } }
    }

    /// The settings to listen with next: waits while the live view is off; nil once stopping.
    func next() async -> LiveViewSettings? {
        while true {
            let decided: LiveViewSettings?? = state.withLock { state in
                if state.stopping { return .some(nil) }
                return state.wanted.enabled ? .some(state.wanted) : nil
            }
            if let decided { return decided }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.stopping || state.wanted.enabled { return true }
                    state.wake = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    /// Records the listener about to run; false when it is already outdated or stopping.
    func begin(_ group: ServiceGroup, with settings: LiveViewSettings) -> Bool {
        state.withLock { state in
            guard !state.stopping, state.wanted == settings else { return false }
            state.running = (group, settings)
            return true
        }
    }

    func end() {
        state.withLock { $0.running = nil }
    }

    func markStarted() { finishStartup(.success(())) }

    func markFailed(_ error: any Error) { finishStartup(.failure(error)) }

    private func finishStartup(_ outcome: Result<Void, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard state.startup == nil else { return [] }
            state.startup = outcome
            defer { state.startupWaiters = [] }
            return state.startupWaiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }

    func waitUntilStarted() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, any Error>? in
                if state.startup == nil { state.startupWaiters.append(continuation) }
                return state.startup
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }
}
