import Foundation
import Logging
import Synchronization
import Workflow

/// What a wamd instance publishes over MQTT (`[mqtt]`), all under `<prefix>/<instance>/`, the
/// instance being its source (`alsa-default`, `spool-incoming`, `stdin`): explained windows on
/// `explained` and, with `windows = "all"`, classified windows on `window` (`MQTTWindowMessage`,
/// `Docs/mqtt-window.schema.json`); `stats` every `stats_interval` seconds (`MQTTStatsMessage`,
/// `Docs/mqtt-stats.schema.json`); `status`, retained, `online` or, as the broker's last will,
/// `offline`. With discovery, the instance is a Home Assistant device (`MQTTDiscovery`),
/// announced at every connection. Uploads to the live view are not published.
package final class MQTTPublisher: Sendable {
    package let connection: MQTTConnection
    /// Every topic of this instance begins with it: `<prefix>/<instance>`.
    let base: String
    let windows: MQTTWindows
    /// Seconds between stats messages (0: none).
    let statsInterval: Int
    /// The password read from `mqtt.password_file`, to see whether a reload changed it.
    let password: String?
    private let liveView: String?
    private let discovery: [MQTTConnection.Message]
    private let minimumInterval: Double
    private let lastWindow = Mutex(-Double.infinity)
    private let skipped = Atomic(0)

    /// The settings of `[mqtt]` turned into a connection (not yet started).
    /// - Throws: a clear error naming the key of a setting that cannot work (an unreadable
    ///   password file, a TLS file libmosquitto refuses).
    package init(configuration: DaemonConfiguration, logger: Logger) throws {
        let host = OutputStore.folderName(ProcessInfo.processInfo.hostName)
        // The instance: several wamds on one host (one per microphone) each have their own topics, client id and device.
        let instance = OutputStore.folderName(try AudioSourceSpecification(configuration.input).name)
        let prefix = configuration.mqttTopicPrefix.isEmpty ? "wam/\(host)" : configuration.mqttTopicPrefix
        try Self.checkTopic(prefix, key: "mqtt.topic_prefix")
        if configuration.mqttDiscovery { try Self.checkTopic(configuration.mqttDiscoveryPrefix, key: "mqtt.discovery_prefix") }
        guard !configuration.mqttHost.isEmpty, !configuration.mqttHost.contains(where: \.isWhitespace) else {
            throw MQTTError(key: "mqtt.host", reason: "'\(configuration.mqttHost)' is not a host name or address")
        }
        if !configuration.mqttClientID.isEmpty {
            guard configuration.mqttClientID.utf8.count <= 256, !Self.hasControlCharacters(configuration.mqttClientID) else {
                throw MQTTError(key: "mqtt.client_id", reason: "expected at most 256 bytes without control characters")
            }
        }
        base = "\(prefix)/\(instance)"
        windows = configuration.mqttWindows
        statsInterval = configuration.mqttStatsInterval
        minimumInterval = 1 / configuration.mqttMaxPerSecond
        liveView = configuration.liveViewURL
        password = try Self.password(configuration.mqttPasswordFile)
        if password != nil && configuration.mqttUsername.isEmpty {
            throw MQTTError(key: "mqtt.username", reason: "is needed with mqtt.password_file: MQTT sends a password only with a user name")
        }
        connection = try MQTTConnection(
            settings: .init(
                host: configuration.mqttHost, port: configuration.mqttPort, username: configuration.mqttUsername, password: password,
                clientID: configuration.mqttClientID.isEmpty
                    ? Self.defaultClientID(host: host, instance: instance, configuration) : configuration.mqttClientID,
                keepalive: configuration.mqttKeepalive, qos: configuration.mqttQoS, queue: configuration.mqttQueue,
                statusTopic: "\(base)/status", tlsCA: configuration.mqttTLSCA, tlsCertificate: configuration.mqttTLSCert,
                tlsKey: configuration.mqttTLSKey),
            logger: logger)
        discovery =
            configuration.mqttDiscovery
            ? MQTTDiscovery(prefix: configuration.mqttDiscoveryPrefix, base: base, host: host, instance: instance, classes: configuration.classes)
                .configs(windows: windows != .none, stats: statsInterval > 0)
            : []
        connection.setOnConnect(discovery)
    }

    /// Throws unless `topic` can start topics: not empty, at most 1024 bytes, no `+`, `#` or
    /// control characters, no empty level (a leading, trailing or doubled `/`), not the broker's
    /// own `$` topics.
    static func checkTopic(_ topic: String, key: String) throws(MQTTError) {
        guard !topic.isEmpty, topic.utf8.count <= 1024, !topic.hasPrefix("$"),
            !topic.contains(where: { "+#".contains($0) }), !hasControlCharacters(topic),
            !topic.split(separator: "/", omittingEmptySubsequences: false).contains("")
        else {
            throw MQTTError(
                key: key,
                reason: "\(String(topic.prefix(80)).debugDescription) cannot begin topics: expected at most 1024 bytes in levels separated by '/', "
                    + "none empty, without '+', '#', control characters or a leading '$'")
        }
    }

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// `wamd-<host>-<instance>-<hash>`: the hash of the topics and the output folder tells apart
    /// two wamds of one host whose sources have the same name (two `spool:incoming` folders).
    static func defaultClientID(host: String, instance: String, _ configuration: DaemonConfiguration) -> String {
        let folder = URL(fileURLWithPath: configuration.outputDirectory).standardizedFileURL.path
        return "wamd-\(host)-\(instance)-" + StableHash.hex("\(configuration.mqttTopicPrefix)\n\(configuration.input)\n\(folder)").prefix(8)
    }

    /// The longest password file read (a password is one short line).
    static let maxPasswordFileBytes = 4096

    /// The first line of `path` (nil: no password file).
    static func password(_ path: String) throws -> String? {
        guard !path.isEmpty else { return nil }
        let text = try MQTTConnection.readSmallFile(path, key: "mqtt.password_file", atMost: maxPasswordFileBytes)
        guard let line = text.split(whereSeparator: \.isNewline).first, !line.isEmpty else {
            throw MQTTError(key: "mqtt.password_file", reason: "\(path) is empty: expected the password on its first line")
        }
        return String(line)
    }

    package func start() { connection.start() }
    package func stop(handingOver: Bool = false) { connection.stop(handingOver: handingOver) }

    /// Classified windows not published because of `mqtt.max_per_second`.
    var skippedWindows: Int { skipped.load(ordering: .relaxed) }

    func publishClassified(_ event: WindowEvent) {
        guard windows == .all, event.source != AttributionDaemon.uploadSource else { return }
        let now = ProcessInfo.processInfo.systemUptime
        let due = lastWindow.withLock { last -> Bool in
            guard now - last >= minimumInterval else { return false }
            last = now
            return true
        }
        guard due else {
            skipped.add(1, ordering: .relaxed)
            return
        }
        publish(MQTTWindowMessage(event: event, result: nil, liveView: nil), kind: "window")
    }

    package func publishExplained(_ event: WindowEvent, result: WindowResult) {
        guard windows != .none, event.source != AttributionDaemon.uploadSource else { return }
        publish(MQTTWindowMessage(event: event, result: result, liveView: liveView), kind: "explained")
    }

    func publishStats(_ stats: MQTTStatsMessage) {
        publish(stats, kind: "stats")
    }

    private func publish(_ message: some Encodable, kind: String) {
        guard let payload = try? MQTTWindowMessage.encoder.encode(message) else { return }
        connection.publish(.init(topic: "\(base)/\(kind)", payload: Array(payload)))
    }

    /// Takes over from `earlier` (a reload): its discovery configs this one no longer has are
    /// removed (empty retained messages) at connect.
    func succeed(_ earlier: MQTTPublisher) {
        let kept = Set(discovery.map(\.topic))
        let removals = earlier.discovery.filter { !kept.contains($0.topic) }.map {
            MQTTConnection.Message(topic: $0.topic, payload: [], retain: true)
        }
        connection.setOnConnect(discovery + removals)
    }
}

/// The MQTT side of a wamd for health checks and metrics, totals kept across reloads.
public struct MQTTStatus: Sendable, Equatable {
    /// `host:port`.
    public var broker: String
    public var connected: Bool
    /// Messages handed to the broker's connection.
    public var published: Int
    /// Messages dropped from a full queue while the broker was away.
    public var dropped: Int
    /// Messages waiting for the broker.
    public var queued: Int
    /// Connections made.
    public var connections: Int
    /// Classified windows not published because of `mqtt.max_per_second`.
    public var skipped: Int
    /// Why the last connection attempt failed, while not connected.
    public var lastError: String?
}

/// The MQTT publisher of the current settings, replaced when a reload changes `[mqtt]` (or the
/// password in its file); it also sends the stats every `mqtt.stats_interval` seconds.
final class MQTTLink: Sendable {
    private let current: Mutex<MQTTPublisher?>
    /// The totals of the publishers a reload replaced.
    private let retired = Mutex(MQTTStatus(broker: "", connected: false, published: 0, dropped: 0, queued: 0, connections: 0, skipped: 0))
    private let runtime: DaemonRuntime
    private let statsThread = DispatchGroup()

    init(configuration: DaemonConfiguration, runtime: DaemonRuntime) throws {
        current = Mutex(configuration.mqttEnabled ? try MQTTPublisher(configuration: configuration, logger: runtime.logger) : nil)
        self.runtime = runtime
    }

    var publisher: MQTTPublisher? { current.withLock { $0 } }

    func start() {
        publisher?.start()
        DaemonRuntime.startThread("wamd-mqtt-stats", group: statsThread) { self.statsLoop() }
    }

    /// Stops the connection (after the stats thread, which ends once the daemon is stopping).
    func stop() {
        statsThread.wait()
        publisher?.stop()
    }

    /// The MQTT side now, or nil when `[mqtt]` is off.
    var status: MQTTStatus? {
        guard let publisher else { return nil }
        let counts = publisher.connection.counts, before = retired.withLock { $0 }
        let settings = runtime.configuration
        return MQTTStatus(
            broker: "\(settings.mqttHost):\(settings.mqttPort)", connected: counts.connected, published: before.published + counts.published,
            dropped: before.dropped + counts.dropped, queued: counts.queued, connections: before.connections + counts.connections,
            skipped: before.skipped + publisher.skippedWindows, lastError: counts.connected ? nil : counts.lastError)
    }

    /// Whether `configuration` differs from the running one in `[mqtt]` (or in the password its file holds).
    func changes(from old: DaemonConfiguration, to fresh: DaemonConfiguration) -> Bool {
        fresh.mqttSection != old.mqttSection || (fresh.mqttEnabled && (try? MQTTPublisher.password(fresh.mqttPasswordFile)) != publisher?.password)
    }

    /// Applies a reloaded `[mqtt]`: the new connection is made (and checked) first, then the old
    /// one signs off and the new one starts, removing the discovery the old one had and this one has not.
    func apply(_ configuration: DaemonConfiguration) throws {
        let fresh = configuration.mqttEnabled ? try MQTTPublisher(configuration: configuration, logger: runtime.logger) : nil
        let old = current.withLock { current in
            defer { current = fresh }
            return current
        }
        old?.stop(handingOver: fresh != nil)
        if let old {
            // What the old connection still held goes out through the new one, under its topics.
            let held = old.connection.handOver().map { message in
                message.topic.hasPrefix(old.base + "/")
                    ? MQTTConnection.Message(topic: (fresh?.base ?? "") + message.topic.dropFirst(old.base.count), payload: message.payload)
                    : message
            }
            fresh?.connection.adopt(held)
            if fresh == nil && !held.isEmpty { runtime.logger.notice("mqtt: off; \(held.count) held messages dropped") }
            let counts = old.connection.counts
            retired.withLock {
                $0.published += counts.published
                $0.dropped += counts.dropped
                $0.connections += counts.connections
                $0.skipped += old.skippedWindows
            }
            fresh?.succeed(old)
        }
        fresh?.start()
        runtime.logger.info("mqtt: settings applied", metadata: ["enabled": "\(configuration.mqttEnabled)"])
    }

    /// Publishes the stats every `mqtt.stats_interval` seconds while the daemon runs.
    private func statsLoop() {
        let metrics = runtime.metrics
        var (previous, since) = (metrics.snapshot, Date())
        while !runtime.isStopping {
            runtime.sleep(seconds: 0.25)
            guard let publisher, publisher.statsInterval > 0 else { continue }
            let elapsed = Date().timeIntervalSince(since)
            guard elapsed >= Double(publisher.statsInterval) else { continue }
            let now = metrics.snapshot
            publisher.publishStats(
                MQTTStatsMessage(
                    now: now, previous: previous, interval: elapsed, source: runtime.sourceName, configuration: runtime.configuration,
                    messagesDropped: status?.dropped ?? 0))
            (previous, since) = (now, Date())
        }
    }
}
