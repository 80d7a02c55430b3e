import DaemonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// wamd's MQTT sink against a real broker: Debian's mosquitto on a free loopback port with a
/// configuration made by the test, and mosquitto_sub recording what arrives.
@Suite(.serialized) struct MQTTTests {
    /// A mosquitto broker of its own.
    final class Broker {
        let port: Int
        let folder: Scratch
        private var process: DaemonProcess?

        init(port: Int? = nil, users: [String: String] = [:], tls: Bool = false) throws {
            folder = try Scratch()
            self.port = try port ?? MQTTTests.freePort()
            var lines = ["listener \(self.port) 127.0.0.1", "persistence false", "allow_anonymous \(users.isEmpty)"]
            if tls {
                // A CA and a server certificate for 127.0.0.1, made on the spot.
                let d = folder.url.path
                let made = try DaemonProcess.shell(
                    """
                    set -e; cd \(d)
                    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null
                    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
                    printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
                    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null
                    chmod 644 server.key
                    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout other.key -out other.crt 2>/dev/null
                    """)
                #expect(made.wait(timeout: 60) == 0, "\(made.log)")
                lines += ["cafile \(d)/ca.crt", "certfile \(d)/server.crt", "keyfile \(d)/server.key"]
            }
            if !users.isEmpty {
                let passwords = folder.path("passwords").path
                for (user, password) in users {
                    let made = try DaemonProcess.shell(
                        "mosquitto_passwd -b \(FileManager.default.fileExists(atPath: passwords) ? "" : "-c") \(passwords) \(user) \(password)")
                    #expect(made.wait(timeout: 10) == 0, "\(made.log)")
                }
                lines.append("password_file \(passwords)")
            }
            try (lines.joined(separator: "\n") + "\n").write(to: folder.path("mosquitto.conf"), atomically: true, encoding: .utf8)
        }

        func start() async throws {
            let broker = try DaemonProcess(["-c", folder.path("mosquitto.conf").path], executable: URL(fileURLWithPath: "/usr/sbin/mosquitto"))
            process = broker
            #expect(await DaemonProcess.waitUntil(timeout: 10) { MQTTTests.accepts(port: port) }, "\(broker.log)")
        }

        /// SIGKILL: children of the test runner inherit its blocked SIGTERM, which mosquitto and
        /// mosquitto_sub do not unblock.
        func stop() {
            process?.signal(SIGKILL)
            _ = process?.wait(timeout: 10)
            process = nil
        }

        deinit { stop() }
    }

    /// mosquitto_sub on `topics`, every message a line `topic payload`.
    final class Subscriber {
        let output: URL
        private let process: DaemonProcess

        /// Returns once the subscription is in place: a probe published on a topic of its own
        /// has come back (a fixed wait was too short under load, and messages published before
        /// the subscription were missed).
        init(port: Int, topics: [String], folder: Scratch, login: String = "") async throws {
            output = folder.path("messages-\(UUID().uuidString).txt")
            let probe = "\(Self.probePrefix)\(UUID().uuidString)"
            let arguments = (topics + [probe]).map { "-t '\($0)'" }.joined(separator: " ") + " " + login
            process = try DaemonProcess.shell("exec mosquitto_sub -h 127.0.0.1 -p \(port) -v \(arguments) > \(output.path)")
            let output = output
            let subscribed = await DaemonProcess.waitUntil(timeout: 30) {
                if let sent = try? DaemonProcess.shell("mosquitto_pub -h 127.0.0.1 -p \(port) \(login) -t '\(probe)' -m ready") {
                    _ = sent.wait(timeout: 10)
                }
                return ((try? String(contentsOf: output, encoding: .utf8)) ?? "").contains("\(probe) ready")
            }
            #expect(subscribed, "mosquitto_sub never received its probe")
        }

        /// The topic prefix of the probes, left out of `lines`.
        static let probePrefix = "probe/"

        var lines: [String] {
            ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                .filter { !$0.hasPrefix(Self.probePrefix) }
        }

        func messages(on topic: String) -> [String] {
            lines.filter { $0.hasPrefix(topic + " ") }.map { String($0.dropFirst(topic.count + 1)) }
        }

        deinit {
            process.signal(SIGKILL)
            _ = process.wait(timeout: 5)
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileReadUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// wamd reading the long sample from standard input (kept open, so that it keeps running;
    /// written at once unless `feed` is false), publishing to `port`.
    static func wamd(port: Int, folder: Scratch, settings: [String] = [], feed: Bool = true) throws -> DaemonProcess {
        let arguments = [
            "-", "--format", "s16le", "--rate", "16000", "--model", DaemonProcess.model, "--out", folder.path("out").path,
            "--set", "source.backpressure=true", "--set", "explain.method=\"gradient\"", "--set", "gates.classes=[\"yes\",\"piano\"]",
            "--set", "mqtt.enabled=true", "--set", "mqtt.host=\"127.0.0.1\"", "--set", "mqtt.port=\(port)",
            "--set", "mqtt.topic_prefix=\"wam/test\"",
        ]
        let daemon = try DaemonProcess(arguments + settings.flatMap { ["--set", $0] })
        if feed { daemon.input.fileHandleForWriting.write(try rawStream()) }
        return daemon
    }

    @Test(
        "explained windows with live-view links, stats, Home Assistant discovery and the status reach a real broker; kill -9 makes it publish offline"
    )
    func publishes() async throws {
        let broker = try Broker()
        try await broker.start()
        let subscriber = try await Subscriber(port: broker.port, topics: ["wam/#", "homeassistant/#"], folder: broker.folder)
        let http = try Self.freePort()
        let daemon = try Self.wamd(
            port: broker.port, folder: broker.folder,
            settings: [
                "mqtt.windows=\"all\"", "mqtt.max_per_second=1000", "mqtt.stats_interval=1", "http.enabled=true", "http.port=\(http)",
                "explain.write_input=true",
            ])
        let outputs = OutputFolder(root: broker.folder.path("out"))
        #expect(
            await DaemonProcess.waitUntil {
                outputs.documents.count >= 3 && subscriber.messages(on: "wam/test/stdin/explained").count >= 3
                    && subscriber.messages(on: "wam/test/stdin/window").count == 40 && subscriber.messages(on: "wam/test/stdin/stats").count >= 2
            })
        #expect(subscriber.messages(on: "wam/test/stdin/status") == ["online"])

        let events = subscriber.messages(on: "wam/test/stdin/explained").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.count >= 3)
        // Every message, explained or classified, as Docs/mqtt-window.schema.json says.
        let schema = try Self.schema()
        #expect((schema["required"] as? [String])?.count == 10)
        for message in subscriber.messages(on: "wam/test/stdin/window") + subscriber.messages(on: "wam/test/stdin/explained") {
            let object = try JSONSerialization.jsonObject(with: Data(message.utf8))
            let violations = Self.violations(of: object, schema: schema)
            #expect(violations.isEmpty, "\(violations): \(message)")
        }
        for event in events {
            #expect(event["schema"] as? Int == 1)
            #expect(["yes", "piano"].contains(event["class"] as? String))
            #expect((event["scale_profile"] as? [[String: Any]])?.count == 7)
            let document = try #require(event["document"] as? String)
            #expect(FileManager.default.fileExists(atPath: broker.folder.path("out").appendingPathComponent(document).path))
            // The links lead to the window's files in the live view.
            let links = try #require(event["links"] as? [String: String])
            #expect(links["window"]?.hasPrefix("http://127.0.0.1:\(http)/api/v1/windows/") == true, "\(links)")
            for (name, url) in links {
                let answer = try Self.get(url)
                #expect(answer.status == 200, "\(name) \(url): \(answer.body)")
                if name == "window" { #expect(answer.body.contains(URL(fileURLWithPath: document).deletingPathExtension().lastPathComponent)) }
            }
            #expect(links.keys.sorted() == ["input_wav", "interpretation_wav", "window"])
        }
        #expect(subscriber.messages(on: "wam/test/stdin/window").allSatisfy { !$0.contains("\"links\"") })

        // Stats, as Docs/mqtt-stats.schema.json says, about once a second.
        let statsSchema = try Self.schema("mqtt-stats")
        let stats = subscriber.messages(on: "wam/test/stdin/stats")
        for message in stats {
            let object = try JSONSerialization.jsonObject(with: Data(message.utf8))
            let violations = Self.violations(of: object, schema: statsSchema)
            #expect(violations.isEmpty, "\(violations): \(message)")
        }
        let last = try #require(try JSONSerialization.jsonObject(with: Data((stats.last ?? "").utf8)) as? [String: Any])
        #expect((last["interval_seconds"] as? Double).map { (0.9...3).contains($0) } == true, "\(last)")
        #expect((last["windows_classified"] as? Int ?? 0) > 0 && last["source"] as? String == "stdin", "\(last)")

        // The live view shows the MQTT component, as Docs/openapi.yaml says.
        let mqtt = try #require((try Self.health(port: http)["components"] as? [String: Any])?["mqtt"] as? [String: Any])
        #expect(Set(mqtt.keys) == (try Self.openAPIRequired("MQTTHealth")), "\(mqtt)")
        #expect(mqtt["status"] as? String == "ok" && mqtt["connected"] as? Bool == true && mqtt["broker"] as? String == "127.0.0.1:\(broker.port)")
        #expect(try Self.metric("wamd_mqtt_connected", port: http) == 1)
        #expect((try Self.metric("wamd_mqtt_published_messages_total", port: http) ?? 0) >= 43)

        let configs = subscriber.lines.filter { $0.hasPrefix("homeassistant/") }
        let topics = configs.map { String($0.prefix { $0 != " " }) }
        let node = "wam_test_stdin"
        #expect(
            Set(topics)
                == Set(
                    ["last_class", "probability", "real_time_factor", "windows_per_second", "queue_depth", "disk_use"].map {
                        "homeassistant/sensor/\(node)/\($0)/config"
                    } + ["yes", "piano"].map { "homeassistant/binary_sensor/\(node)/heard_\($0)/config" }), "\(topics)")
        func config(_ object: String) throws -> [String: Any] {
            let line = try #require(configs.first { $0.contains("/\(object)/config ") })
            return try #require(try JSONSerialization.jsonObject(with: Data(line.drop { $0 != " " }.dropFirst().utf8)) as? [String: Any])
        }
        let heardYes = try config("heard_yes")
        #expect(heardYes["state_topic"] as? String == "wam/test/stdin/explained")
        #expect(heardYes["availability_topic"] as? String == "wam/test/stdin/status")
        #expect(heardYes["off_delay"] as? Int == 30)
        #expect(try config("real_time_factor")["state_topic"] as? String == "wam/test/stdin/stats")
        #expect((try config("disk_use")["device"] as? [String: Any])?["identifiers"] as? [String] == [node])

        daemon.signal(SIGKILL)
        #expect(await DaemonProcess.waitUntil(timeout: 30) { subscriber.messages(on: "wam/test/stdin/status") == ["online", "offline"] })
    }

    @Test(
        "a broker absent at start: wamd runs, says so once, health and metrics show MQTT down, and the held windows go out, each once, when the broker comes"
    )
    func brokerComesLater() async throws {
        let broker = try Broker()
        let http = try Self.freePort()
        let daemon = try Self.wamd(
            port: broker.port, folder: broker.folder, settings: ["log.level=\"debug\"", "http.enabled=true", "http.port=\(http)"])
        let outputs = OutputFolder(root: broker.folder.path("out"))
        #expect(await DaemonProcess.waitUntil { outputs.documents.count >= 3 })
        #expect(await Self.waitForFreshRetry(daemon))
        #expect(daemon.log.components(separatedBy: "mqtt: cannot reach the broker").count == 2, "\(daemon.log)")
        let health = try Self.health(port: http)
        let mqtt = try #require((health["components"] as? [String: Any])?["mqtt"] as? [String: Any])
        #expect(mqtt["status"] as? String == "degraded" && mqtt["connected"] as? Bool == false, "\(mqtt)")
        #expect(mqtt["queued"] as? Int == outputs.documents.count, "\(mqtt)")
        #expect(health["status"] as? String != "ok" && (health["problems"] as? [String])?.contains { $0.contains("MQTT broker") } == true)
        #expect(try Self.metric("wamd_mqtt_connected", port: http) == 0)
        #expect(try Self.metric("wamd_mqtt_queued_messages", port: http) == Double(outputs.documents.count))
        try await broker.start()
        let subscriber = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder)
        #expect(await DaemonProcess.waitUntil { daemon.log.contains("mqtt: connected") })
        let documents = Set(outputs.documents.compactMap { $0["files"] as? [String: Any] }.compactMap { $0["json"] as? String })
        func published() -> [String] {
            subscriber.messages(on: "wam/test/stdin/explained").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["document"] as? String
            }
        }
        // Delivered after the connection, in their own time under load; then a second more to see no duplicate.
        _ = await DaemonProcess.waitUntil(timeout: 30) { published().count >= documents.count }
        try await Task.sleep(for: .seconds(1))
        let published = published()
        #expect(published.count == documents.count, "\(published)")
        #expect(Set(published.map { URL(fileURLWithPath: $0).lastPathComponent }) == documents)
        let after = try #require((try Self.health(port: http)["components"] as? [String: Any])?["mqtt"] as? [String: Any])
        #expect(after["status"] as? String == "ok" && after["queued"] as? Int == 0 && after["connections"] as? Int == 1, "\(after)")
        daemon.signal(SIGTERM)
        _ = daemon.wait(timeout: 30)
    }

    @Test("the broker restarting mid-stream: wamd holds the newest messages up to mqtt.queue, drops the oldest, and sends each held one once")
    func brokerRestarts() async throws {
        let broker = try Broker()
        try await broker.start()
        var subscriber = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder)
        let daemon = try await Self.publishFirstWindows(broker: broker, subscriber: subscriber, settings: ["mqtt.queue=5"])
        broker.stop()
        #expect(await DaemonProcess.waitUntil { daemon.log.contains("mqtt: lost the connection") })
        try await Self.publishWhileAway(daemon, broker: broker)

        try await broker.start()
        subscriber = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder)
        #expect(await DaemonProcess.waitUntil { daemon.log.components(separatedBy: "mqtt: connected").count == 3 })
        try await Task.sleep(for: .seconds(1))
        let held = subscriber.lines.filter { $0.hasPrefix("wam/test/stdin/") }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.drop { $0 != " " }.dropFirst().utf8)) as? [String: Any])
        }
        #expect(held.count == 5, "\(subscriber.lines)")
        // The newest five, once each, in order.
        let windows = held.compactMap { $0["sample_index"] as? Int }
        #expect(windows == (20..<25).map { $0 * 16000 }, "\(windows)")
        #expect(daemon.log.contains("dropped="), "\(daemon.log)")
        daemon.signal(SIGTERM)
        _ = daemon.wait(timeout: 30)
    }

    @Test("QoS 1 and the broker killed mid-stream: every window arrives, none more than twice (a resent unacknowledged one)")
    func qos1Redelivers() async throws {
        let broker = try Broker()
        try await broker.start()
        let first = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder, login: "-q 1")
        let daemon = try await Self.publishFirstWindows(broker: broker, subscriber: first, settings: ["mqtt.queue=100", "mqtt.qos=1"])
        // Windows published while the broker dies: some go to a connection that is already gone.
        broker.stop()
        try await Self.publishWhileAway(daemon, broker: broker)
        try await broker.start()
        let later = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder, login: "-q 1")
        #expect(await DaemonProcess.waitUntil { daemon.log.components(separatedBy: "mqtt: connected").count == 3 })
        #expect(await DaemonProcess.waitUntil(timeout: 10) { Set(later.messages(on: "wam/test/stdin/window")).count >= 20 })
        let windows = (first.messages(on: "wam/test/stdin/window") + later.messages(on: "wam/test/stdin/window")).compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["sample_index"] as? Int
        }
        let seen = Dictionary(windows.map { ($0 / 16000, 1) }, uniquingKeysWith: +)
        #expect(Set(seen.keys) == Set(0..<25), "\(windows)")
        #expect(seen.values.allSatisfy { $0 <= 2 }, "\(seen)")
        daemon.signal(SIGTERM)
        _ = daemon.wait(timeout: 30)
    }

    @Test("SIGHUP applies a changed [mqtt] and removes the discovery of a class no longer in gates.classes")
    func reloadApplies() async throws {
        let broker = try Broker()
        try await broker.start()
        let subscriber = try await Subscriber(port: broker.port, topics: ["wam/#", "homeassistant/#"], folder: broker.folder)
        let configuration = broker.folder.path("wamd.toml")
        func write(classes: String, prefix: String) throws {
            let text = """
                [gates]
                classes = \(classes)
                [mqtt]
                enabled = true
                host = "127.0.0.1"
                port = \(broker.port)
                topic_prefix = "\(prefix)"
                """
            try text.write(to: configuration, atomically: true, encoding: .utf8)
        }
        try write(classes: "[\"yes\", \"piano\"]", prefix: "wam/before")
        let daemon = try DaemonProcess([
            "-", "--config", configuration.path, "--format", "s16le", "--rate", "16000", "--model", DaemonProcess.model, "--out",
            broker.folder.path("out").path, "--set", "source.backpressure=true", "--set", "explain.method=\"gradient\"",
        ])
        daemon.input.fileHandleForWriting.write(try rawStream())
        let piano = "homeassistant/binary_sensor/wam_before_stdin/heard_piano/config"
        #expect(await DaemonProcess.waitUntil { subscriber.messages(on: piano).count == 1 })
        try write(classes: "[\"yes\"]", prefix: "wam/after")
        daemon.signal(SIGHUP)
        #expect(await DaemonProcess.waitUntil { subscriber.messages(on: "wam/after/stdin/status") == ["online"] }, "\(daemon.log)")
        #expect(await DaemonProcess.waitUntil { subscriber.messages(on: piano).count == 2 })
        #expect(["", "(null)"].contains(subscriber.messages(on: piano).last ?? "?"), "\(subscriber.messages(on: piano))")
        #expect(subscriber.messages(on: "wam/before/stdin/status") == ["online", "offline"])
        let yes = "homeassistant/binary_sensor/wam_after_stdin/heard_yes/config"
        #expect(subscriber.messages(on: yes).last?.contains("wam/after/stdin/explained") == true)
        daemon.signal(SIGTERM)
        _ = daemon.wait(timeout: 30)
    }

    @Test("a reload while the broker is away keeps the held messages: they go out, each once, under the new topics")
    func reloadKeepsHeld() async throws {
        let broker = try Broker()
        let configuration = broker.folder.path("wamd.toml")
        func write(prefix: String) throws {
            try "[mqtt]\nenabled = true\nhost = \"127.0.0.1\"\nport = \(broker.port)\ntopic_prefix = \"\(prefix)\"\ndiscovery = false\n"
                .write(to: configuration, atomically: true, encoding: .utf8)
        }
        try write(prefix: "wam/before")
        let daemon = try DaemonProcess([
            "-", "--config", configuration.path, "--format", "s16le", "--rate", "16000", "--model", DaemonProcess.model, "--out",
            broker.folder.path("out").path, "--set", "source.backpressure=true", "--set", "explain.method=\"gradient\"",
            "--set", "gates.classes=[\"yes\",\"piano\"]", "--set", "log.level=\"debug\"",
        ])
        daemon.input.fileHandleForWriting.write(try rawStream())
        let outputs = OutputFolder(root: broker.folder.path("out"))
        #expect(await DaemonProcess.waitUntil { outputs.documents.count >= 3 })
        try await Task.sleep(for: .seconds(1))
        try write(prefix: "wam/after")
        daemon.signal(SIGHUP)
        #expect(await DaemonProcess.waitUntil { daemon.log.contains("mqtt: settings applied") })
        #expect(await Self.waitForFreshRetry(daemon))
        try await broker.start()
        let subscriber = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder)
        #expect(await DaemonProcess.waitUntil { subscriber.messages(on: "wam/after/stdin/explained").count >= outputs.documents.count })
        try await Task.sleep(for: .seconds(1))
        let published = subscriber.messages(on: "wam/after/stdin/explained").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["document"] as? String
        }
        #expect(published.count == outputs.documents.count && Set(published).count == published.count, "\(published)")
        #expect(!daemon.log.contains("not delivered"), "\(daemon.log)")
        daemon.signal(SIGTERM)
        _ = daemon.wait(timeout: 30)
    }

    @Test("two wamds with one client id: the broker closes each when the other connects; they back off and say why instead of flapping every second")
    func sameClientID() async throws {
        let broker = try Broker()
        try await broker.start()
        let settings = ["mqtt.client_id=\"twin\"", "mqtt.discovery=false"]
        let first = try Self.wamd(port: broker.port, folder: broker.folder, settings: settings)
        let elsewhere = try Scratch()
        let second = try Self.wamd(port: broker.port, folder: elsewhere, settings: settings)
        try await Task.sleep(for: .seconds(14))
        let connections = [first, second].map { $0.log.components(separatedBy: "mqtt: connected").count - 1 }
        // Every second for 14 s would be 14 each; backing off 1, 2, 4, 8 s: at most 5.
        #expect(connections.allSatisfy { $0 <= 5 } && connections.reduce(0, +) >= 2, "\(connections)")
        #expect(
            [first, second].contains { $0.log.contains("another client may use the same client id (mqtt.client_id)") },
            "\(first.log)\n\(second.log)")
        for daemon in [first, second] { daemon.signal(SIGKILL) }
    }

    @Test("TLS: a broker whose certificate the CA verifies gets the events; one it does not is refused, said once")
    func tls() async throws {
        let broker = try Broker(tls: true)
        try await broker.start()
        let ca = broker.folder.path("ca.crt").path
        let subscriber = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder, login: "--cafile \(ca)")
        let trusted = try Self.wamd(port: broker.port, folder: broker.folder, settings: ["mqtt.tls_ca=\"\(ca)\""])
        #expect(await DaemonProcess.waitUntil { subscriber.messages(on: "wam/test/stdin/explained").count >= 1 }, "\(trusted.log)")
        trusted.signal(SIGKILL)
        _ = trusted.wait(timeout: 10)

        let other = broker.folder.path("other.crt").path
        let untrusted = try Self.wamd(port: broker.port, folder: broker.folder, settings: ["mqtt.tls_ca=\"\(other)\""])
        try await Task.sleep(for: .seconds(4))
        #expect(untrusted.log.components(separatedBy: "mqtt: cannot reach the broker").count == 2, "\(untrusted.log)")
        #expect(untrusted.log.contains("TLS failed: the broker's certificate is not verified by mqtt.tls_ca"), "\(untrusted.log)")
        #expect(subscriber.messages(on: "wam/test/stdin/status").filter { $0 == "online" }.count == 1)
        untrusted.signal(SIGKILL)
        _ = untrusted.wait(timeout: 10)
    }

    @Test("settings that cannot work are refused at --check-config, naming the key")
    func refusedSettings() throws {
        let folder = try Scratch()
        let big = folder.path("big")
        try Data(count: 5000).write(to: big)
        let fifo = folder.path("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let cases: [(settings: [String], says: String)] = [
            (["mqtt.topic_prefix=\"a/+\""], "mqtt.topic_prefix: \"a/+\" cannot begin topics"),
            (["mqtt.topic_prefix=\"trail/\""], "mqtt.topic_prefix: \"trail/\" cannot begin topics"),
            (["mqtt.discovery_prefix=\"ha/#\""], "mqtt.discovery_prefix: \"ha/#\" cannot begin topics"),
            (["mqtt.tls_cert=\"/etc/hostname\"", "mqtt.tls_key=\"/etc/hostname\""], "mqtt.tls_ca: is needed with mqtt.tls_cert"),
            (["mqtt.tls_ca=\"/etc/hostname\"", "mqtt.tls_cert=\"/etc/hostname\""], "mqtt.tls_key: mqtt.tls_cert and mqtt.tls_key go together"),
            (["mqtt.tls_ca=\"/nonexistent/ca.crt\""], "mqtt.tls_ca: /nonexistent/ca.crt cannot be read (No such file or directory)"),
            (["mqtt.host=\"\""], "mqtt.host: '' is not a host name or address"),
            (["mqtt.password_file=\"/etc/hostname\""], "mqtt.username: is needed with mqtt.password_file"),
            (["mqtt.username=\"u\"", "mqtt.password_file=\"\(big.path)\""], "mqtt.password_file: \(big.path) is larger than 4096 bytes"),
            (
                ["mqtt.username=\"u\"", "mqtt.password_file=\"/nonexistent\""],
                "mqtt.password_file: /nonexistent cannot be read (No such file or directory)"
            ),
            (["mqtt.username=\"u\"", "mqtt.password_file=\"\(fifo.path)\""], "mqtt.password_file: \(fifo.path) is not a regular file"),
            (["mqtt.tls_ca=\"\(fifo.path)\""], "mqtt.tls_ca: \(fifo.path) is not a regular file"),
            (["mqtt.tls_ca=\"\(big.path)\""], "mqtt.tls_ca: \(big.path) holds no PEM certificate"),
            (["mqtt.tls_ca=\"/etc/hostname\""], "mqtt.tls_ca: /etc/hostname holds no PEM certificate"),
            (["mqtt.topic_prefix=\"$SYS/x\""], "mqtt.topic_prefix: \"$SYS/x\" cannot begin topics"),
            (["http.public_url=\"box:8080\""], "http.public_url"),
            (["http.public_url=\"http://\""], "http.public_url"),
            (["http.public_url=\"http://user:secret@box\""], "http.public_url"),
        ]
        for (settings, says) in cases {
            let configuration = folder.path("wamd.toml")
            try "[model]\npath = \"\(DaemonProcess.model)\"\n[mqtt]\nenabled = true\n".write(to: configuration, atomically: true, encoding: .utf8)
            let check = try DaemonProcess(["--check-config", configuration.path] + settings.flatMap { ["--set", $0] })
            #expect(check.wait(timeout: 60) != 0)
            #expect(check.log.contains(says), "\(settings): \(check.log)")
        }
    }

    @Test("a wrong password is refused with one line naming the keys; the right one written to the file and SIGHUP connect")
    func credentials() async throws {
        let broker = try Broker(users: ["wamd": "right-password", "watcher": "watching"])
        try await broker.start()
        let subscriber = try await Subscriber(port: broker.port, topics: ["wam/#"], folder: broker.folder, login: "-u watcher -P watching")
        let password = broker.folder.path("password")
        try "wrong-password\n".write(to: password, atomically: true, encoding: .utf8)
        let configuration = broker.folder.path("wamd.toml")
        try """
        [mqtt]
        enabled = true
        host = "127.0.0.1"
        port = \(broker.port)
        topic_prefix = "wam/test"
        username = "wamd"
        password_file = "\(password.path)"
        """.write(to: configuration, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess([
            "-", "--config", configuration.path, "--format", "s16le", "--rate", "16000", "--model", DaemonProcess.model, "--out",
            broker.folder.path("out").path, "--set", "source.backpressure=true", "--set", "explain.method=\"gradient\"",
        ])
        try await Task.sleep(for: .seconds(5))
        #expect(
            daemon.log.components(separatedBy: "refused the username or password (mqtt.username, mqtt.password_file)").count == 2, "\(daemon.log)")
        #expect(subscriber.messages(on: "wam/test/stdin/status").isEmpty)

        // Only the file changes: the reload still reads it again.
        try "right-password\n".write(to: password, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(await DaemonProcess.waitUntil { subscriber.messages(on: "wam/test/stdin/status").contains("online") }, "\(daemon.log)")
        #expect(!daemon.log.contains("wrong-password") && !daemon.log.contains("right-password"))
        daemon.signal(SIGTERM)
        _ = daemon.wait(timeout: 30)
    }

    static func schema(_ name: String = "mqtt-window") throws -> [String: Any] {
        let data = try Data(contentsOf: DaemonProcess.root.appendingPathComponent("Docs/\(name).schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// What in `value` the JSON schema `schema` does not allow (the subset the schema uses:
    /// type, const, enum, minimum, maximum, required, properties, additionalProperties, items).
    static func violations(of value: Any, schema: [String: Any], at path: String = "$") -> [String] {
        var found: [String] = []
        let number = (value as? NSNumber)?.doubleValue
        switch schema["type"] as? String {
        case "object": if !(value is [String: Any]) { return ["\(path): not an object"] }
        case "array": if !(value is [Any]) { return ["\(path): not an array"] }
        case "string": if !(value is String) { return ["\(path): not a string"] }
        case "number": if number == nil { return ["\(path): not a number"] }
        case "integer": if number.map({ $0 != $0.rounded() }) ?? true { return ["\(path): not an integer"] }
        case "boolean": if !(value is Bool) { return ["\(path): not a boolean"] }
        default: break
        }
        if let constant = schema["const"] as? NSNumber, number != constant.doubleValue { found.append("\(path): not \(constant)") }
        if let choices = schema["enum"] as? [String], !choices.contains(value as? String ?? "") { found.append("\(path): not one of \(choices)") }
        if let minimum = schema["minimum"] as? Double, let number, number < minimum { found.append("\(path): under \(minimum)") }
        if let maximum = schema["maximum"] as? Double, let number, number > maximum { found.append("\(path): over \(maximum)") }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { found.append("\(path).\(key): missing") }
            for (key, member) in object {
                if let property = properties[key] {
                    found += violations(of: member, schema: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    found += violations(of: member, schema: additional, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    found.append("\(path).\(key): not in the schema")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { found += violations(of: item, schema: items, at: "\(path)[\(index)]") }
        }
        return found
    }

    /// The numbers of the connection attempts wamd logged (at debug level).
    static func attempts(_ log: String) -> [Int] {
        log.components(separatedBy: "(attempt ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
    }

    /// wamd publishing every classified window of the long sample and nothing else (nothing is
    /// louder than 0 dBFS, so nothing is explained): one message per second of audio, in order.
    /// The first 5 s are fed and their messages awaited.
    static func publishFirstWindows(broker: Broker, subscriber: Subscriber, settings: [String]) async throws -> DaemonProcess {
        let daemon = try wamd(
            port: broker.port, folder: broker.folder,
            settings: [
                "mqtt.windows=\"all\"", "mqtt.max_per_second=1000", "mqtt.discovery=false", "gates.min_dbfs=0", "log.level=\"debug\"",
            ] + settings, feed: false)
        daemon.input.fileHandleForWriting.write(try rawStream().prefix(5 * 32000))
        #expect(await DaemonProcess.waitUntil { subscriber.messages(on: "wam/test/stdin/window").count == 5 })
        return daemon
    }

    /// Feeds the next 20 s of the sample to a `publishFirstWindows` wamd whose broker is down,
    /// waits until they are classified and for a fresh retry (`waitForFreshRetry`).
    static func publishWhileAway(_ daemon: DaemonProcess, broker: Broker) async throws {
        daemon.input.fileHandleForWriting.write(try rawStream().dropFirst(5 * 32000).prefix(20 * 32000))
        let outputs = OutputFolder(root: broker.folder.path("out"))
        #expect(await DaemonProcess.waitUntil { outputs.logLines.count == 25 })
        #expect(await waitForFreshRetry(daemon))
    }

    /// Waits for a connection attempt numbered 4 or later made from now on: the next is then 8 s
    /// or more away, time to start the broker and a subscriber before wamd sends what it holds
    /// even under a loaded CI machine (4 s after attempt 3 was once too short; an attempt seen
    /// earlier may be followed by the next at any moment).
    static func waitForFreshRetry(_ daemon: DaemonProcess) async -> Bool {
        let before = attempts(daemon.log).count
        return await DaemonProcess.waitUntil { attempts(daemon.log).count > before && attempts(daemon.log).last! >= 4 }
    }

    /// `GET url` with curl: the status and the body.
    static func get(_ url: String) throws -> (status: Int, body: String) {
        let folder = try Scratch()
        let (body, status) = (folder.path("body"), folder.path("status"))
        let curl = try DaemonProcess.shell("curl -s -o '\(body.path)' -w '%{http_code}' '\(url)' > '\(status.path)'")
        _ = curl.wait(timeout: 30)
        let code = (try? String(contentsOf: status, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return (code ?? 0, (try? String(contentsOf: body, encoding: .utf8)) ?? "")
    }

    /// The health report of the live view on `port`.
    static func health(port: Int) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(get("http://127.0.0.1:\(port)/healthz").body.utf8)) as? [String: Any])
    }

    /// The value of the sample `name` (without labels) in the live view's /metrics.
    static func metric(_ name: String, port: Int) throws -> Double? {
        try get("http://127.0.0.1:\(port)/metrics").body.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// The required keys of `schema` in Docs/openapi.yaml (a `required: [...]` line under it).
    static func openAPIRequired(_ schema: String) throws -> Set<String> {
        let text = try String(contentsOf: DaemonProcess.root.appendingPathComponent("Docs/openapi.yaml"), encoding: .utf8)
        let block = try #require(text.components(separatedBy: "\n    \(schema):\n").dropFirst().first)
        let line = try #require(block.split(separator: "\n").first { $0.contains("required: [") })
        return Set(line.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

}
