import Foundation
import Workflow

/// Publishes every window to the live view's `EventHub` (server-sent events, recent windows).
struct EventHubSink: WindowSink {
    let events: EventHub

    var name: String { "live view events" }
    var writesToOutputFolder: Bool { false }

    func classified(_ event: WindowEvent) throws {
        events.publish(event)
    }

    func explained(_ event: WindowEvent, result: WindowResult) throws {
        events.publish(event)
    }
}
