import Foundation
import Workflow

/// Home Assistant MQTT discovery for one wamd instance: a device (`wamd <host> <instance>`) with
/// sensors for the last explained class and its probability, a `binary_sensor` per class of
/// `gates.classes` that is on when that class is explained (off 30 s later), and, with stats,
/// sensors for the real-time factor, windows per second, explanation queue and disk use; all
/// available while the instance's status topic is `online`. Config topics are
/// `<discovery prefix>/<component>/<node>/<object>/config`, retained.
struct MQTTDiscovery: Sendable {
    let prefix: String
    /// `<topic prefix>/<instance>`.
    let base: String
    let host: String
    let instance: String
    let classes: [String]

    /// Seconds a class's binary sensor stays on after it was last heard.
    static let offDelay = 30

    /// Home Assistant's ids: letters, digits, `_` and `-` only.
    static func identifier(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "_" })
    }

    private typealias Entry = (component: String, object: String, fields: [String: Any])

    /// The object id of a class's binary sensor: `heard_<label>`, with a hash of the label when
    /// it had to be changed into an id (so that `a.b` and `a"b` stay apart).
    static func object(class label: String) -> String {
        let id = identifier(label)
        return "heard_" + (id == label ? id : "\(id)_\(StableHash.hex(label).suffix(12))")
    }

    /// The retained config messages of the instance's device: the window sensors when `windows`,
    /// the stats sensors when `stats`, and empty ones that remove those left out (announced by an
    /// earlier run with other settings).
    func configs(windows: Bool, stats: Bool) -> [MQTTConnection.Message] {
        // The node follows the topics, so that two wamds with other topic prefixes stay two devices.
        let node = Self.identifier(base.replacingOccurrences(of: "/", with: "_"))
        let device: [String: Any] = ["identifiers": [node], "name": "wamd \(host) \(instance)", "manufacturer": "wam", "model": "wamd"]
        let common: [String: Any] = [
            "availability_topic": "\(base)/status", "payload_available": "online", "payload_not_available": "offline", "device": device,
        ]
        let explained = "\(base)/explained"
        var entries: [Entry] = [
            (
                "sensor", "last_class",
                ["name": "Last class", "state_topic": explained, "value_template": "{{ value_json['class'] }}", "icon": "mdi:ear-hearing"]
            ),
            (
                "sensor", "probability",
                [
                    "name": "Probability", "state_topic": explained, "value_template": "{{ value_json.probability }}",
                    "state_class": "measurement", "suggested_display_precision": 2,
                ]
            ),
        ]
        for label in classes {
            let quoted = label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            entries.append(
                (
                    "binary_sensor", Self.object(class: label),
                    [
                        "name": "Heard \(label)", "state_topic": explained, "device_class": "sound", "off_delay": Self.offDelay,
                        "value_template": "{{ 'ON' if value_json['class'] == '\(quoted)' else 'OFF' }}",
                    ]
                ))
        }
        // Every entry so far follows the explained windows: none without them.
        var left: [Entry] = []
        if !windows { (left, entries) = (entries, []) }
        if stats { entries += statsEntries() } else { left += statsEntries() }
        func topic(_ entry: Entry) -> String { "\(prefix)/\(entry.component)/\(node)/\(entry.object)/config" }
        let removals = left.map { MQTTConnection.Message(topic: topic($0), payload: [], retain: true) }
        return entries.compactMap { entry in
            var fields = common.merging(entry.fields) { _, new in new }
            fields["unique_id"] = "\(node)_\(entry.object)"
            guard let payload = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
            else { return nil }
            return MQTTConnection.Message(topic: topic(entry), payload: Array(payload), retain: true)
        } + removals
    }

    /// Sensors of the stats topic (`MQTTStatsMessage`).
    private func statsEntries() -> [Entry] {
        func sensor(_ object: String, _ name: String, _ field: String, _ extra: [String: Any]) -> Entry {
            (
                "sensor", object,
                [
                    "name": name, "state_topic": "\(base)/stats", "value_template": "{{ value_json.\(field) }}", "state_class": "measurement",
                    "entity_category": "diagnostic",
                ].merging(extra) { _, new in new }
            )
        }
        return [
            sensor("real_time_factor", "Real-time factor", "real_time_factor", ["suggested_display_precision": 3, "icon": "mdi:speedometer"]),
            sensor("windows_per_second", "Windows per second", "windows_per_second", ["suggested_display_precision": 2]),
            sensor("queue_depth", "Explanation queue", "queue_depth", ["icon": "mdi:tray-full"]),
            sensor(
                "disk_use", "Disk use", "output_bytes",
                ["device_class": "data_size", "unit_of_measurement": "B", "suggested_unit_of_measurement": "MB"]),
        ]
    }
}
