import Foundation

/// Home Assistant MQTT discovery: for each source, a device (`wamd <host> <source>`) with a
/// sensor for the last explained class and one for its probability, and a `binary_sensor` per
/// class of `gates.classes` that is on when that class is explained (off 30 s later), all
/// available while the instance's status topic is `online`. Config topics are
/// `<discovery prefix>/<component>/<node>/<object>/config`, retained.
struct MQTTDiscovery: Sendable {
    let prefix: String
    let statusTopic: String
    let host: String
    let classes: [String]

    /// Seconds a class's binary sensor stays on after it was last heard.
    static let offDelay = 30

    /// Home Assistant's ids: letters, digits, `_` and `-` only.
    static func identifier(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "_" })
    }

    func node(_ source: String) -> String {
        Self.identifier("wamd_\(host)_\(OutputStore.folderName(source))")
    }

    /// The retained config messages of `source`'s device.
    func configs(source: String, eventsTopic: String) -> [MQTTConnection.Message] {
        let node = node(source)
        let device: [String: Any] = [
            "identifiers": [node], "name": "wamd \(host) \(OutputStore.folderName(source))", "manufacturer": "wam", "model": "wamd",
        ]
        let common: [String: Any] = [
            "state_topic": eventsTopic, "availability_topic": statusTopic, "payload_available": "online",
            "payload_not_available": "offline", "device": device,
        ]
        var entries: [(component: String, object: String, fields: [String: Any])] = [
            ("sensor", "last_class", ["name": "Last class", "value_template": "{{ value_json['class'] }}", "icon": "mdi:ear-hearing"]),
            (
                "sensor", "probability",
                [
                    "name": "Probability", "value_template": "{{ value_json.probability }}", "state_class": "measurement",
                    "suggested_display_precision": 2,
                ]
            ),
        ]
        for label in classes {
            let object = "heard_" + Self.identifier(label)
            let quoted = label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            entries.append(
                (
                    "binary_sensor", object,
                    [
                        "name": "Heard \(label)", "device_class": "sound", "off_delay": Self.offDelay,
                        "value_template": "{{ 'ON' if value_json['class'] == '\(quoted)' else 'OFF' }}",
                    ]
                ))
        }
        return entries.compactMap { entry in
            var fields = common.merging(entry.fields) { _, new in new }
            fields["unique_id"] = "\(node)_\(entry.object)"
            guard let payload = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
            else { return nil }
            return MQTTConnection.Message(topic: "\(prefix)/\(entry.component)/\(node)/\(entry.object)/config", payload: Array(payload), retain: true)
        }
    }
}
