import Daemon
import Foundation
import LiveView
import ServiceLifecycle
import Testing

@Suite struct EventStreamTests {
    @Test("the event stream delivers classified windows and explanations as they happen")
    func live() async throws {
        let fixture = try await LiveFixture.shared.value
        let stream = try await EventStream.open(port: fixture.port)
        defer { stream.close() }
        #expect(stream.response.status == 200)
        #expect(stream.response.headers["content-type"] == "text/event-stream; charset=utf-8")
        #expect(stream.response.headers["cache-control"] == "no-store")

        let name = try fixture.feed("audio/piano.wav")
        let events = try await stream.collect(timeout: 180) { events in
            events.contains { $0.name == "explained" && $0.data.contains("file:\(name)") }
        }
        let classified = try #require(events.first { $0.name == "classified" && $0.data.contains("file:\(name)") })
        let window = try classified.json()
        #expect(window["prediction"] as? String == "piano")
        #expect(window["kind"] as? String == "classified")
        #expect(classified.id == window["sequence"] as? Int)
        let explained = try #require(events.first { $0.name == "explained" && $0.data.contains("file:\(name)") }).json()
        let id = try #require(explained["id"] as? String)
        #expect(try await fixture.client.get("/api/v1/windows/\(id)").status == 200)
        let ids = events.compactMap(\.id)
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
    }

    @Test("kind=explained keeps explanations only; a bad kind is 400")
    func kinds() async throws {
        let fixture = try await LiveFixture.shared.value
        #expect(try await fixture.client.get("/api/v1/events?kind=all").status == 400)
        let stream = try await EventStream.open(port: fixture.port, target: "/api/v1/events?kind=explained")
        defer { stream.close() }
        let name = try fixture.feed("audio/yes.wav")
        let events = try await stream.collect(timeout: 180) { $0.contains { $0.data.contains("file:\(name)") } }
        #expect(events.contains { $0.data.contains("file:\(name)") })
        #expect(events.allSatisfy { $0.name == "explained" })
    }

    @Test("a client reconnecting with Last-Event-ID first gets what it missed, in order")
    func replay() async throws {
        let fixture = try await LiveFixture.shared.value
        let newest = try #require(fixture.daemon.events.recent(limit: 1).first?.sequence)
        let stream = try await EventStream.open(port: fixture.port, headers: ["Last-Event-ID": String(newest - 5)])
        defer { stream.close() }
        let events = try await stream.collect(timeout: 180) { $0.count >= 5 }
        #expect(events.prefix(5).compactMap(\.id) == Array((newest - 4)...newest))
    }

    @Test("streams beyond the limit are refused with 503 and Retry-After")
    func limit() async throws {
        let fixture = try await LiveFixture.shared.value
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        settings.maxEventClients = 1
        let (port, server) = try await fixture.serve(settings)
        defer { server.cancel() }
        let first = try await EventStream.open(port: port)
        #expect(first.response.status == 200)
        let second = try await RawHTTP(port: port).get("/api/v1/events")
        #expect(second.status == 503)
        #expect(second.headers["retry-after"] != nil)
        first.close()
        // The place is freed once the server notices the closed stream, at its next event.
        var reopened: Int?
        for _ in 0..<60 where reopened != 200 {
            try fixture.feed("audio/yes.wav")
            try await Task.sleep(for: .milliseconds(500))
            let again = try await EventStream.open(port: port)
            reopened = again.response.status
            again.close()
        }
        #expect(reopened == 200)
    }

    @Test("a graceful shutdown ends open event streams and stops the server")
    func shutdown() async throws {
        let fixture = try await LiveFixture.shared.value
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        settings.port = 0
        let server = LiveServer(daemon: fixture.daemon, settings: settings, logger: LiveFixture.quiet) { continuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [server], logger: LiveFixture.quiet))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let stream = try await EventStream.open(port: port)
        defer { stream.close() }
        #expect(stream.response.status == 200)
        await group.triggerGracefulShutdown()
        _ = try await stream.collect(timeout: 180) { _ in false }
        #expect(stream.ended)
        try await running.value
    }
}
