import Foundation
import Workflow

/// Somewhere the daemon's windows go besides the explanation files: the window log, the live
/// view's events, MQTT. A new sink is one file conforming to this protocol plus its
/// line in `WindowSinks.standard`.
///
/// The explanation files themselves are not a sink: they are what the disk budget keeps and
/// what every sink's `explained` event names, so they are written before sinks are told.
protocol WindowSink: Sendable {
    /// The sink's name, for logs.
    var name: String { get }
    /// Whether the sink writes into the output folder: it is skipped while writes are paused
    /// for lack of space.
    var writesToOutputFolder: Bool { get }
    /// One classified window, explained or not: an event of kind `classified` carrying the gate
    /// decision.
    func classified(_ event: WindowEvent) throws
    /// One written explanation: an event of kind `explained` whose `document` names the JSON
    /// file, and the result it holds.
    func explained(_ event: WindowEvent, result: WindowResult) throws
}

extension WindowSink {
    func explained(_ event: WindowEvent, result: WindowResult) throws {}
}

/// The sinks a daemon feeds, in order.
enum WindowSinks {
    /// Every sink of a daemon writing to `store`, publishing to `events` and to `mqtt` (when
    /// on) and counting in `metrics`.
    static func standard(store: OutputStore, events: EventHub, mqtt: MQTTLink, metrics: DaemonMetrics) -> [any WindowSink] {
        [
            WindowLogSink(store: store, metrics: metrics),
            EventHubSink(events: events),
            MQTTSink(link: mqtt),
        ]
    }
}
