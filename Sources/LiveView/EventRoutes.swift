import Daemon
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Synchronization

/// `GET /api/v1/events`: server-sent events, one per classified window (`event: classified`)
/// and per explanation (`event: explained`), each `data:` a window as `/api/v1/windows` lists
/// it, each `id:` its sequence number. A client reconnecting with `Last-Event-ID` first gets the
/// events it missed (as far as the daemon still holds them); `?kind=` keeps one kind. Streams end
/// when the server shuts down; a comment every `eventKeepAlive` seconds keeps proxies from
/// closing idle ones.
struct EventRoutes: Sendable {
    let daemon: AttributionDaemon
    let files: WindowFiles
    let settings: LiveViewSettings
    let clients: ClientCount

    /// Open streams, bounded by `LiveViewSettings.maxEventClients`.
    final class ClientCount: Sendable {
        private let count = Mutex(0)
        /// Told the new count after every change.
        private let changed: @Sendable (Int) -> Void

        init(changed: @escaping @Sendable (Int) -> Void) {
            self.changed = changed
        }

        /// A place taken by one stream, freed when its response is done with (written to the
        /// end, failed, or dropped before its body was written).
        final class Place: Sendable {
            fileprivate let owner: ClientCount

            fileprivate init(owner: ClientCount) {
                self.owner = owner
            }

            deinit { owner.change(by: -1) }
        }

        /// Takes a place if fewer than `limit` are taken.
        func enter(limit: Int) -> Place? {
            let admitted = count.withLock { value in
                guard value < limit else { return false }
                value += 1
                return true
            }
            guard admitted else { return nil }
            changed(count.withLock { $0 })
            return Place(owner: self)
        }

        private func change(by delta: Int) {
            changed(
                count.withLock { value in
                    value += delta
                    return value
                })
        }
    }

    func register(on router: Endpoints) {
        router.get("/api/v1/events") { request, _ in try stream(request) }
    }

    private func stream(_ request: Request) throws -> Response {
        let kind = try WindowRoutes.kind(request.uri.queryParameters)
        // A Last-Event-ID from before a restart of the daemon (sequences start again) is ignored.
        let newest = daemon.events.recent(limit: 1).first?.sequence ?? 0
        let lastSeen = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int($0) }.flatMap { $0 <= newest ? $0 : nil }
        guard let place = clients.enter(limit: settings.maxEventClients) else {
            throw APIError(.serviceUnavailable, "too many open event streams (\(settings.maxEventClients))", headers: [.retryAfter: "10"])
        }
        let (events, files, keepAlive) = (daemon.events, files, settings.eventKeepAlive)
        let body = ResponseBody { writer in
            _ = place  // captured: the place is held as long as this body
            // Subscribe before reading the backlog so that nothing falls between the two.
            let live = events.subscribe()
            let missed = lastSeen.map { seen in events.recent(limit: events.capacity) { $0.sequence > seen }.reversed() } ?? []
            var sent = lastSeen ?? 0
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            for await chunk in Self.chunks(missed: Array(missed), live: live, keepAlive: keepAlive).cancelOnGracefulShutdown() {
                switch chunk {
                case let .event(event):
                    guard event.sequence > sent, kind == nil || event.kind == kind else { continue }
                    sent = event.sequence
                    try await writer.write(ByteBuffer(string: try Self.message(event, files: files)))
                case .keepAlive:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ], body: body)
    }

    /// What a stream sends: an event, or a keep-alive comment.
    enum Chunk: Sendable {
        case event(WindowEvent)
        case keepAlive
    }

    /// `missed`, then the events of `live` interleaved with keep-alive ticks; the forwarding
    /// stops when the consumer drops the stream.
    static func chunks(missed: [WindowEvent], live: AsyncStream<WindowEvent>, keepAlive: Double) -> AsyncStream<Chunk> {
        let (stream, continuation) = AsyncStream<Chunk>.makeStream(bufferingPolicy: .bufferingNewest(512))
        for event in missed { continuation.yield(.event(event)) }
        let forward = Task {
            for await event in live { continuation.yield(.event(event)) }
            continuation.finish()
        }
        let ticks = Task {
            while (try? await Task.sleep(for: .seconds(keepAlive))) != nil { continuation.yield(.keepAlive) }
        }
        continuation.onTermination = { _ in
            forward.cancel()
            ticks.cancel()
        }
        return stream
    }

    /// One server-sent event.
    static func message(_ event: WindowEvent, files: WindowFiles) throws -> String {
        let data = String(decoding: try APIResponse.encode(WindowSummary(event, files: files)), as: UTF8.self)
        return "id: \(event.sequence)\nevent: \(event.kind.rawValue)\ndata: \(data)\n\n"
    }
}
