import Foundation
import Workflow

/// Publishes windows to the MQTT broker of `[mqtt]` (`MQTTPublisher`), when on; publishing only
/// queues, so the pipeline and the workers never wait for the network.
struct MQTTSink: WindowSink {
    let link: MQTTLink

    var name: String { "mqtt" }
    var writesToOutputFolder: Bool { false }

    func classified(_ event: WindowEvent) throws {
        link.publisher?.publishClassified(event)
    }

    func explained(_ event: WindowEvent, result: WindowResult) throws {
        link.publisher?.publishExplained(event, result: result)
    }
}
