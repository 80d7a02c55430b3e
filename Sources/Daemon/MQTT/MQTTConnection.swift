import AtomicFiles
import CMosquitto
import Foundation
import Logging
import Synchronization

/// One connection to an MQTT broker through libmosquitto, driven by a network thread of its own
/// (`mosquitto_loop`; connecting and reconnecting with a back-off from 1 s to 60 s, also after a
/// refusal): `publish` never waits for the network. While the broker is away, messages wait in a
/// bounded queue (the oldest dropped and counted past `Settings.queue`) and go out, in order, at
/// the next connection. The broker publishes `offline` on the status topic as the connection's
/// last will; `online` is published (retained) at every connection, followed by the messages of
/// `setOnConnect`.
package final class MQTTConnection: Sendable {
    struct Message: Sendable, Equatable {
        let topic: String
        let payload: [UInt8]
        var retain = false
    }

    struct Settings: Sendable {
        var host: String
        var port: Int
        var username: String
        var password: String?
        var clientID: String
        var keepalive: Int
        var qos: Int
        var queue: Int
        var statusTopic: String
        var tlsCA: String
        var tlsCertificate: String
        var tlsKey: String
    }

    /// What `counts` reports.
    package struct Counts: Sendable, Equatable {
        package var connected = false
        package var published = 0
        package var dropped = 0
        package var connections = 0
        /// Messages waiting for the broker: queued for the next connection, or sent and not yet
        /// acknowledged (QoS 1).
        package var queued = 0
        /// Why the last connection attempt failed, until one succeeds.
        package var lastError: String?
    }

    private struct State {
        var counts = Counts()
        var pending: [Message] = []
        /// The last connection failure logged, so that a refusal repeated by every retry is said once.
        var lastFailure: Int32?
        var lastError: String?
        /// Messages handed to libmosquitto and not yet sent (QoS 0) or acknowledged (QoS 1).
        var inFlight = 0
        var onConnect: [Message] = []
        var stopping = false
    }

    // The libmosquitto handle is used from any thread (the library locks inside); it lives as
    // long as this object.
    private nonisolated(unsafe) let handle: OpaquePointer
    private let settings: Settings
    private let state = Mutex(State())
    private let networkThread = Mutex<DispatchGroup?>(nil)
    private let logger: Logger

    /// Creates the client and sets its will, credentials and TLS; `start` connects.
    /// - Throws: `MQTTError` naming the setting libmosquitto refused.
    init(settings: Settings, logger: Logger) throws(MQTTError) {
        MQTTConnection.initializeLibrary
        guard let handle = mosquitto_new(settings.clientID, true, nil) else {
            throw MQTTError(key: "mqtt.client_id", reason: "libmosquitto could not create a client")
        }
        self.handle = handle
        self.settings = settings
        self.logger = logger
        mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        let offline = Array("offline".utf8)
        try check(mosquitto_will_set(handle, settings.statusTopic, Int32(offline.count), offline, 1, true), key: "mqtt.topic_prefix")
        if !settings.username.isEmpty {
            try check(mosquitto_username_pw_set(handle, settings.username, settings.password), key: "mqtt.username")
        }
        if settings.tlsCA.isEmpty && !(settings.tlsCertificate.isEmpty && settings.tlsKey.isEmpty) {
            throw MQTTError(key: "mqtt.tls_ca", reason: "is needed with mqtt.tls_cert and mqtt.tls_key: without it the connection is not encrypted")
        }
        if settings.tlsCertificate.isEmpty != settings.tlsKey.isEmpty {
            throw MQTTError(key: settings.tlsKey.isEmpty ? "mqtt.tls_key" : "mqtt.tls_cert", reason: "mqtt.tls_cert and mqtt.tls_key go together")
        }
        for (key, path, pem) in [
            ("mqtt.tls_ca", settings.tlsCA, "CERTIFICATE-----"), ("mqtt.tls_cert", settings.tlsCertificate, "CERTIFICATE-----"),
            ("mqtt.tls_key", settings.tlsKey, "PRIVATE KEY-----"),
        ] where !path.isEmpty {
            guard Self.holdsPEM(try Self.readSmallFile(path, key: key), kind: String(pem.dropLast(5))) else {
                throw MQTTError(key: key, reason: "\(path) holds no PEM \(pem.dropLast(5).lowercased())")
            }
        }
        if !settings.tlsCA.isEmpty {
            let certificate = settings.tlsCertificate.isEmpty ? nil : settings.tlsCertificate
            let key = settings.tlsKey.isEmpty ? nil : settings.tlsKey
            try check(mosquitto_tls_set(handle, settings.tlsCA, nil, certificate, key, nil), key: "mqtt.tls_ca")
            try check(mosquitto_tls_opts_set(handle, 1, nil, nil), key: "mqtt.tls_ca")
        }
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(handle) { _, context, code in
            guard let context else { return }
            Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue().connected(code: code)
        }
        mosquitto_disconnect_callback_set(handle) { _, context, code in
            guard let context else { return }
            Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue().disconnected(code: code)
        }
        mosquitto_publish_callback_set(handle) { _, context, _ in
            guard let context else { return }
            Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue().delivered()
        }
    }

    /// Whether `text` holds a whole PEM block whose label ends in `kind` (`CERTIFICATE`, `PRIVATE
    /// KEY`): BEGIN and END lines and base64 between them. (Whether libssl accepts it is known at
    /// the first connection.)
    static func holdsPEM(_ text: String, kind: String) -> Bool {
        var body: String?
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("-----BEGIN ") && line.hasSuffix("\(kind)-----") {
                body = ""
            } else if line.hasPrefix("-----END ") && line.hasSuffix("\(kind)-----"), let block = body {
                if let decoded = Data(base64Encoded: block), decoded.count >= 32 { return true }
                body = nil
            } else if body != nil && !line.contains(":") {
                body? += line
            }
        }
        return false
    }

    /// The largest TLS or password file read (PEM files of a few certificates, a password).
    static let maxSmallFileBytes = 1 << 20

    /// The text of `path`, which must be a regular file (not a FIFO, device or folder) of at most
    /// `limit` bytes; errors name `key`.
    static func readSmallFile(_ path: String, key: String, atMost limit: Int = maxSmallFileBytes) throws(MQTTError) -> String {
        let data: Data
        do {
            data = try RegularFile.read(path, atMost: limit)
        } catch {
            throw MQTTError(key: key, reason: "\(path) \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw MQTTError(key: key, reason: "\(path) is not UTF-8 text") }
        return text
    }

    deinit {
        mosquitto_destroy(handle)
    }

    private static let initializeLibrary: Void = {
        mosquitto_lib_init()
    }()

    private func check(_ code: Int32, key: String) throws(MQTTError) {
        guard code == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(key: key, reason: Self.reason(code))
        }
    }

    /// Messages published at every connection, after `online` (Home Assistant discovery).
    func setOnConnect(_ messages: [Message]) {
        state.withLock { $0.onConnect = messages }
    }

    /// Starts the network thread: it connects, and reconnects whenever the connection is lost
    /// or refused, waiting 1 s, then twice as long each time up to 60 s.
    func start() {
        let done = DispatchGroup()
        DaemonRuntime.startThread("wamd-mqtt", group: done) { [self] in
            var delay = 1.0
            var connectedOnce = false
            var attempt = 0
            while !state.withLock({ $0.stopping }) {
                attempt += 1
                logger.debug("mqtt: connecting to \(settings.host):\(settings.port) (attempt \(attempt))")
                let code =
                    connectedOnce
                    ? mosquitto_reconnect(handle) : mosquitto_connect(handle, settings.host, Int32(settings.port), Int32(settings.keepalive))
                var failure = code
                if code == MOSQ_ERR_SUCCESS.rawValue {
                    connectedOnce = true
                    var looped = MOSQ_ERR_SUCCESS.rawValue
                    var acceptedAt: Date?
                    while looped == MOSQ_ERR_SUCCESS.rawValue && !state.withLock({ $0.stopping }) {
                        looped = mosquitto_loop(handle, 500, 1)
                        if acceptedAt == nil && state.withLock({ $0.counts.connected }) { acceptedAt = Date() }
                    }
                    let accepted = acceptedAt != nil
                    if looped == MOSQ_ERR_SUCCESS.rawValue {
                        signOff()
                    } else if let acceptedAt {
                        // Only a connection that lasted resets the back-off: one the broker closes at
                        // once (another client took the id, a refused topic) must not loop every second.
                        let lasted = Date().timeIntervalSince(acceptedAt)
                        if lasted >= Self.lasting {
                            delay = 1
                        } else if lasted < 3 {
                            logFailure(
                                -1,
                                "the broker closed the connection \(String(format: "%.1f", Date().timeIntervalSince(acceptedAt))) s after "
                                    + "accepting it: another client may use the same client id (mqtt.client_id), or the broker refuses "
                                    + "what wamd publishes under \(settings.statusTopic.split(separator: "/").dropLast().joined(separator: "/"))/ "
                                    + "(its access rules); retrying in \(Int(delay)) s")
                        }
                    }
                    // A TLS handshake fails in the loop, after the TCP connection; a refusal is said by `connected`.
                    failure = accepted || looped == MOSQ_ERR_CONN_REFUSED.rawValue ? MOSQ_ERR_SUCCESS.rawValue : looped
                }
                if failure != MOSQ_ERR_SUCCESS.rawValue {
                    logFailure(
                        failure, "cannot reach the broker \(settings.host):\(settings.port) (mqtt.host, mqtt.port): \(explain(failure)); retrying")
                }
                markDisconnected()
                pause(delay)
                delay = min(delay * 2, 60)
            }
        }
        networkThread.withLock { $0 = done }
    }

    /// Seconds a connection must last for the next failure to be retried after 1 s again.
    static let lasting = 30.0

    /// Sleeps `seconds`, waking early at a stop.
    private func pause(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !state.withLock({ $0.stopping }) { Thread.sleep(forTimeInterval: 0.1) }
    }

    private func markDisconnected() {
        state.withLock { $0.counts.connected = false }
    }

    /// Stops the network thread, which publishes `offline` (retained) and disconnects; waits
    /// for it at most 5 s. Messages still waiting are reported as lost unless `handingOver` (a
    /// reload: `handOver` passes them on).
    func stop(handingOver: Bool = false) {
        state.withLock { $0.stopping = true }
        _ = networkThread.withLock { $0 }?.wait(timeout: .now() + 5)
        let undelivered = state.withLock { $0.pending.count + $0.inFlight }
        if undelivered > 0 && !handingOver {
            logger.warning("mqtt: \(undelivered) messages not delivered (the broker was away or had not acknowledged them)")
        }
    }

    /// After `stop`: the messages still waiting, for the connection that replaces this one (a
    /// reload), which sends them once connected.
    func handOver() -> [Message] {
        state.withLock { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
    }

    /// Queues `messages` (from `handOver`) ahead of anything published since.
    func adopt(_ messages: [Message]) {
        state.withLock { state in
            let published = state.pending
            state.pending = []
            for message in messages + published { enqueue(message, in: &state) }
        }
    }

    /// On the network thread at a stop: `offline`, flushed, then a clean disconnect (so the
    /// broker does not send the will).
    private func signOff() {
        if state.withLock({ $0.counts.connected }) {
            let offline = Array("offline".utf8)
            mosquitto_publish(handle, nil, settings.statusTopic, Int32(offline.count), offline, 1, true)
            for _ in 0..<4 { mosquitto_loop(handle, 100, 1) }
        }
        mosquitto_disconnect(handle)
        mosquitto_loop(handle, 100, 1)
    }

    /// Sends `message` now, or queues it until the next connection.
    func publish(_ message: Message) {
        let sendNow = state.withLock { state -> Bool in
            // Past mqtt.queue messages unacknowledged (a broker that stopped reading), they wait here, bounded.
            guard state.counts.connected && state.inFlight < settings.queue && state.pending.isEmpty else {
                enqueue(message, in: &state)
                return false
            }
            return true
        }
        guard sendNow else { return }
        send(message)
    }

    /// libmosquitto sent (QoS 0) or the broker acknowledged (QoS 1) a message: one more may go.
    private func delivered() {
        state.withLock { $0.inFlight = max(0, $0.inFlight - 1) }
        drain()
    }

    package var counts: Counts {
        state.withLock { state in
            var counts = state.counts
            counts.queued = state.pending.count + state.inFlight
            counts.lastError = state.lastError
            return counts
        }
    }

    /// Queues `message`; past `Settings.queue` messages waiting (queued or unacknowledged) the
    /// oldest queued ones are dropped, counted.
    private func enqueue(_ message: Message, in state: inout State) {
        state.pending.append(message)
        while state.pending.count + state.inFlight > settings.queue && state.pending.count > 1 {
            state.pending.removeFirst()
            state.counts.dropped += 1
        }
    }

    /// Sends queued messages while connected and fewer than `Settings.queue` are unacknowledged.
    private func drain() {
        while let next = state.withLock({ state -> Message? in
            guard state.counts.connected, state.inFlight < settings.queue, !state.pending.isEmpty else { return nil }
            return state.pending.removeFirst()
        }) {
            send(next)
        }
    }

    private func send(_ message: Message) {
        // Counted before: libmosquitto may call `delivered` before mosquitto_publish returns.
        state.withLock { $0.inFlight += 1 }
        let code = message.payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle, nil, message.topic, Int32(bytes.count), bytes.baseAddress, Int32(settings.qos), message.retain)
        }
        state.withLock { state in
            if code == MOSQ_ERR_SUCCESS.rawValue {
                state.counts.published += 1
                return
            }
            state.inFlight = max(0, state.inFlight - 1)
            if code == MOSQ_ERR_NO_CONN.rawValue {
                state.counts.connected = false
                enqueue(message, in: &state)
            } else {
                state.counts.dropped += 1
            }
        }
    }

    private func connected(code: Int32) {
        guard code == 0 else {
            logFailure(code + 1000, Self.refusal(code))
            return
        }
        let (queued, first) = state.withLock { state -> (Int, [Message]) in
            state.counts.connected = true
            state.counts.connections += 1
            state.lastFailure = nil
            state.lastError = nil
            // QoS 0 messages libmosquitto had not sent are gone with the old connection; QoS 1 ones are resent.
            if settings.qos == 0 { state.inFlight = 0 }
            return (state.pending.count + state.inFlight, state.onConnect)
        }
        logger.info(
            "mqtt: connected to \(settings.host):\(settings.port)", metadata: ["queued": "\(queued)", "dropped": "\(counts.dropped)"])
        send(Message(topic: settings.statusTopic, payload: Array("online".utf8), retain: true))
        for message in first { send(message) }
        drain()
    }

    private func disconnected(code: Int32) {
        let was = state.withLock { state -> Bool in
            defer { state.counts.connected = false }
            return state.counts.connected
        }
        if was && code != 0 {
            logger.warning("mqtt: lost the connection to \(settings.host):\(settings.port); reconnecting")
        }
    }

    /// Logs a connection failure once, until a connection succeeds or the failure changes.
    private func logFailure(_ code: Int32, _ message: String) {
        let isNew = state.withLock { state -> Bool in
            defer { (state.lastFailure, state.lastError) = (code, message) }
            return state.lastFailure != code
        }
        if isNew { logger.error("mqtt: \(message)") }
    }

    /// Why a connection attempt failed, naming what to look at.
    private func explain(_ code: Int32) -> String {
        let blocked = code == MOSQ_ERR_ERRNO.rawValue && [EAFNOSUPPORT, EPERM, EACCES].contains(errno)
        switch code {
        case _ where blocked:
            return "\(Self.reason(code)): the service may not open network sockets; under systemd install Systemd/wamd-mqtt.conf "
                + "as /etc/systemd/system/wamd.service.d/mqtt.conf with the broker's address (`make install` does when [mqtt] is enabled)"
        case MOSQ_ERR_TLS.rawValue:
            return "TLS failed: the broker's certificate is not verified by mqtt.tls_ca, the broker refused mqtt.tls_cert, "
                + "or mqtt.port is not a TLS listener"
        case MOSQ_ERR_CONN_LOST.rawValue, MOSQ_ERR_KEEPALIVE.rawValue, MOSQ_ERR_PROTOCOL.rawValue, MOSQ_ERR_UNKNOWN.rawValue:
            return "the connection was lost before the broker answered"
                + (settings.tlsCA.isEmpty ? " (is mqtt.port an MQTT listener without TLS?)" : " (is mqtt.port an MQTT listener with TLS?)")
        default:
            return Self.reason(code)
        }
    }

    /// libmosquitto's text for `code`, without its full stop.
    static func reason(_ code: Int32) -> String {
        let text = String(cString: mosquitto_strerror(code))
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    /// What the broker's CONNACK code means, naming the settings to look at.
    static func refusal(_ code: Int32) -> String {
        switch code {
        case 1: "the broker refused the protocol version; retrying"
        case 2: "the broker refused the client id (mqtt.client_id); retrying"
        case 3: "the broker is unavailable; retrying"
        case 4, 5: "the broker refused the username or password (mqtt.username, mqtt.password_file); retrying less and less often, then every minute"
        default: "the broker refused the connection (code \(code)); retrying"
        }
    }
}

/// An MQTT setting that cannot work, naming its key.
struct MQTTError: Error, CustomStringConvertible {
    let key: String
    let reason: String
    var description: String { "\(key): \(reason)" }
}
