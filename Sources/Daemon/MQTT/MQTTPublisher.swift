import Attribution
import Foundation
import Logging
import Synchronization
import Workflow

/// What wamd publishes over MQTT (`[mqtt]`): per source, explained windows on
/// `<prefix>/<source>/explained` and, with `windows = "all"`, classified windows on
/// `<prefix>/<source>/window` (payloads: `MQTTWindowMessage`, schema `Docs/mqtt-window.schema.json`);
/// `<prefix>/status` is `online` or, as the broker's last will, `offline` (retained); with
/// discovery, a Home Assistant device per source, announced when the source is first heard.
final class MQTTPublisher: Sendable {
    let connection: MQTTConnection
    let topicPrefix: String
    let windows: MQTTWindows
    private let discovery: MQTTDiscovery?
    private let minimumInterval: Double
    private let state = Mutex<(announced: Set<String>, lastWindow: Double)>(([], -.infinity))

    /// The settings of `[mqtt]` turned into a connection (not yet started).
    /// - Throws: a clear error naming the key of a setting that cannot work (an unreadable
    ///   password file, a TLS file libmosquitto refuses).
    init(configuration: DaemonConfiguration, logger: Logger) throws {
        let host = OutputStore.folderName(ProcessInfo.processInfo.hostName)
        // The instance: several wamds on one host (one per microphone) each have their own client id and status.
        let instance = OutputStore.folderName(try AudioSourceSpecification(configuration.input).name)
        topicPrefix = configuration.mqttTopicPrefix.isEmpty ? "wam/\(host)" : configuration.mqttTopicPrefix
        try Self.checkTopic(topicPrefix, key: "mqtt.topic_prefix")
        if configuration.mqttDiscovery { try Self.checkTopic(configuration.mqttDiscoveryPrefix, key: "mqtt.discovery_prefix") }
        let statusTopic = "\(topicPrefix)/\(instance)/status"
        windows = configuration.mqttWindows
        minimumInterval = 1 / configuration.mqttMaxPerSecond
        let password = try Self.password(configuration.mqttPasswordFile)
        connection = try MQTTConnection(
            settings: .init(
                host: configuration.mqttHost, port: configuration.mqttPort, username: configuration.mqttUsername, password: password,
                clientID: configuration.mqttClientID.isEmpty ? "wamd-\(host)-\(instance)" : configuration.mqttClientID,
                keepalive: configuration.mqttKeepalive, qos: configuration.mqttQoS, queue: configuration.mqttQueue,
                statusTopic: statusTopic, tlsCA: configuration.mqttTLSCA, tlsCertificate: configuration.mqttTLSCert,
                tlsKey: configuration.mqttTLSKey),
            logger: logger)
        discovery =
            configuration.mqttDiscovery
            ? MQTTDiscovery(prefix: configuration.mqttDiscoveryPrefix, statusTopic: statusTopic, host: host, classes: configuration.classes)
            : nil
    }

    /// Throws unless `topic` can start topics: not empty, no `+`, `#` or NUL, no empty level
    /// (a leading, trailing or doubled `/`).
    static func checkTopic(_ topic: String, key: String) throws(MQTTError) {
        guard !topic.isEmpty, !topic.contains(where: { "+#\u{0}".contains($0) }),
            !topic.split(separator: "/", omittingEmptySubsequences: false).contains("")
        else {
            throw MQTTError(key: key, reason: "'\(topic)' cannot begin topics: expected levels separated by '/', none empty, without '+' or '#'")
        }
    }

    /// The first line of `path` (empty: no password).
    static func password(_ path: String) throws -> String? {
        guard !path.isEmpty else { return nil }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw WorkflowError(source: path, reason: "cannot be read as the MQTT password (mqtt.password_file)")
        }
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }

    func start() { connection.start() }
    func stop() { connection.stop() }

    /// The topic of a source's messages.
    func topic(_ source: String, _ kind: String) -> String {
        "\(topicPrefix)/\(OutputStore.folderName(source))/\(kind)"
    }

    func publishClassified(_ event: WindowEvent) {
        guard windows == .all else { return }
        let now = ProcessInfo.processInfo.systemUptime
        let due = state.withLock { state -> Bool in
            guard now - state.lastWindow >= minimumInterval else { return false }
            state.lastWindow = now
            return true
        }
        guard due else { return }
        publish(MQTTWindowMessage(event: event, profile: nil), topic: topic(event.source, "window"), source: event.source)
    }

    func publishExplained(_ event: WindowEvent, result: WindowResult) {
        guard windows != .none else { return }
        let message = MQTTWindowMessage(event: event, profile: result.document.scaleProfile)
        publish(message, topic: topic(event.source, "explained"), source: event.source)
    }

    private func publish(_ message: MQTTWindowMessage, topic: String, source: String) {
        announce(source)
        guard let payload = try? MQTTWindowMessage.encoder.encode(message) else { return }
        connection.publish(.init(topic: topic, payload: Array(payload)))
    }

    /// Announces `source` to Home Assistant the first time it is heard, and at every later connection.
    private func announce(_ source: String) {
        let isNew = state.withLock { $0.announced.insert(source).inserted }
        guard isNew, let discovery else { return }
        connection.setOnConnect(discoveryConfigs())
        for message in discovery.configs(source: source, eventsTopic: topic(source, "explained")) { connection.publish(message) }
    }

    /// The sources announced so far.
    var announced: [String] { state.withLock { $0.announced.sorted() } }

    /// The discovery config messages of every announced source.
    func discoveryConfigs() -> [MQTTConnection.Message] {
        guard let discovery else { return [] }
        return announced.flatMap { discovery.configs(source: $0, eventsTopic: topic($0, "explained")) }
    }

    /// Takes over from `earlier` (a reload): the sources it announced are announced at connect,
    /// and its discovery configs this one no longer has are removed (empty retained messages).
    func succeed(_ earlier: MQTTPublisher) {
        state.withLock { $0.announced.formUnion(earlier.announced) }
        let current = discoveryConfigs()
        let kept = Set(current.map(\.topic))
        let removals = earlier.discoveryConfigs().filter { !kept.contains($0.topic) }.map {
            MQTTConnection.Message(topic: $0.topic, payload: [], retain: true)
        }
        connection.setOnConnect(current + removals)
    }
}

/// The MQTT publisher of the current settings, replaced when a reload changes `[mqtt]`.
final class MQTTLink: Sendable {
    private let current: Mutex<MQTTPublisher?>
    private let logger: Logger

    init(configuration: DaemonConfiguration, logger: Logger) throws {
        current = Mutex(configuration.mqttEnabled ? try MQTTPublisher(configuration: configuration, logger: logger) : nil)
        self.logger = logger
    }

    var publisher: MQTTPublisher? { current.withLock { $0 } }

    func start() { publisher?.start() }
    func stop() { publisher?.stop() }

    /// Applies a reloaded `[mqtt]`: the new connection is made (and checked) first, then the old
    /// one signs off and the new one starts, announcing what the old one had announced.
    func apply(_ configuration: DaemonConfiguration) throws {
        let fresh = configuration.mqttEnabled ? try MQTTPublisher(configuration: configuration, logger: logger) : nil
        let old = current.withLock { current in
            defer { current = fresh }
            return current
        }
        old?.stop()
        if let old, let fresh { fresh.succeed(old) }
        fresh?.start()
        logger.info("mqtt: settings applied", metadata: ["enabled": "\(configuration.mqttEnabled)"])
    }
}

/// The payload of a window message (schema version 1, `Docs/mqtt-window.schema.json`).
struct MQTTWindowMessage: Codable, Equatable {
    struct Band: Codable, Equatable {
        /// `A6`, `D1`, ... (METHOD.md).
        let name: String
        let lowHz: Double?
        let highHz: Double?
        /// Share of the explanation's total |attribution|.
        let importance: Double
    }

    var schema = 1
    let kind: WindowEvent.Kind
    let time: Date
    let source: String
    let sampleIndex: Int
    let `class`: String
    let probability: Double
    let dbfs: Double
    let decision: GateDecision
    let top: [String: Double]
    /// The explanation's JSON document, relative to the output folder.
    let document: String?
    let scaleProfile: [Band]?

    init(event: WindowEvent, profile: ScaleProfile?) {
        kind = event.kind
        time = event.time
        source = event.source
        sampleIndex = event.sampleIndex
        `class` = event.prediction
        probability = event.probability
        dbfs = event.dbfs.isFinite ? event.dbfs : -200
        decision = event.decision
        top = event.top
        document = event.document
        scaleProfile = profile?.levels.map {
            Band(name: $0.name, lowHz: $0.frequencyBand?.first, highHz: $0.frequencyBand?.last, importance: $0.importance)
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
