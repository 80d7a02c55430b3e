import AudioIO
import Foundation
import Logging
import Wavelets
import Workflow

/// Everything `wamd` is told: one TOML file (`Systemd/wamd.toml` is the commented example),
/// every key overridable on the command line with `--set section.key=value`.
public struct DaemonConfiguration: Sendable, Equatable {
    // [source]
    /// `alsa:DEVICE`, `file:PATH`, `spool:FOLDER` or `-` (raw PCM on standard input).
    public var input = "alsa:default"
    /// Capture rate (ALSA) or the rate of raw PCM on standard input.
    public var captureRate = 16000
    public var captureChannels = 1
    /// Raw standard input: `s16le` or `f32le`.
    public var rawFormat = RawPCMStream.Format.s16le
    /// Standard input read like a file: only as fast as windows are explained, nothing dropped
    /// (the writer waits). Off by default: standard input is live, like a microphone.
    public var stdinBackpressure = false
    public var periodFrames = 1024
    /// Seconds between attempts to reopen a lost capture device (doubling up to a minute).
    public var reopenDelay = 1.0
    /// Seconds of captured audio buffered ahead of the classifier; older audio is dropped (and
    /// counted as overruns) when the classifier falls further behind.
    public var bufferSeconds = 10.0

    // [model]
    public var modelPath = ""
    public var modelRate = 16000
    /// The example shape for models with dynamic input axes (e.g. `[1, 16000]`); empty: as declared.
    public var inputShape: [Int] = []
    public var threads = 1
    /// Inputs other than the waveform, given at load: name -> a number or the path of a `.npy`
    /// file (`[model] inputs = { sr = 16000 }`), kept as written and read when the model loads.
    public var modelInputs: [String: String] = [:]
    /// State carried from window to window: input -> the output holding its next value
    /// (`[model] state = { state = "stateN" }`).
    public var modelState: [String: String] = [:]
    /// The input and output to explain; empty: the first float input not given, the first output.
    public var explainInput = ""
    public var explainOutput = ""

    // [windows]
    /// Samples at the model rate between window starts; 0 means the window length.
    public var hop = 0

    // [gates]
    public var minDBFS = -50.0
    /// Class labels worth explaining; empty means all.
    public var classes: [String] = []
    public var minProbability = 0.5
    /// Explanations per class per minute; 0 means no limit.
    public var maxPerClassPerMinute = 6
    /// Explain only the first window of each run of windows passing for a class (onsets).
    public var onsetsOnly = false

    // [explain]
    /// What to explain with: method, wavelet, mode, levels (6), steps, interpretation.
    public var explanation = {
        var request = ExplanationRequest()
        request.levels = 6
        return request
    }()
    public var workers = 1
    public var queueLength = 8
    public var maxBatch = 8
    public var profilesOnly = false
    public var writeInput = false
    /// On stop: `finish` the queued explanations (within `stopTimeout`) or `drop` them.
    public var onStop = StopPolicy.finish
    public var stopTimeout = 10.0

    // [output]
    public var outputDirectory = "/var/lib/wamd"
    /// Bytes of explanations kept at most; 0 means no limit.
    public var maxBytes = 1 << 30
    /// Days explanations are kept; 0 means forever.
    public var maxAgeDays = 30.0
    /// Explanations per class never deleted by the budget, newest first.
    public var keepNewestPerClass = 5
    /// Writes pause while the output file system has less free space than this.
    public var minFreeBytes = 100 << 20
    /// Seconds between disk budget checks.
    public var checkInterval = 30.0

    // [log]
    public var logLevel = Logger.Level.info

    // [http]
    public var httpEnabled = false
    public var httpBind = "127.0.0.1"
    public var httpPort = 8080
    /// Bearer token required for non-loopback clients.
    public var httpToken = ""
    /// PEM certificate chain and private key: when both are set the live view serves HTTPS.
    public var tlsCertificatePath = ""
    public var tlsKeyPath = ""
    /// Allows a non-loopback bind without TLS (the token and recordings then cross the network
    /// in clear; meant for a TLS-terminating reverse proxy on a trusted link).
    public var allowPlainHTTP = false
    public var maxUploadBytes = 20 << 20
    /// Connections served at once; more wait in the kernel's backlog.
    public var maxConnections = 64
    /// Seconds a connection may sit idle between requests, take to send its request head, or
    /// pause within a request body before it is closed.
    public var idleTimeout = 30.0
    /// How other machines reach the live view (`https://box.example:8443`), for the links in
    /// MQTT messages; empty: `http(s)://<bind address, or the host name when it binds to all>:<port>`.
    public var httpPublicURL = ""

    // [mqtt]
    public var mqttEnabled = false
    public var mqttHost = "localhost"
    public var mqttPort = 1883
    public var mqttUsername = ""
    /// A file whose first line is the password (kept out of the configuration; never logged).
    public var mqttPasswordFile = ""
    /// Empty: `wamd-<hostname>`.
    public var mqttClientID = ""
    /// Empty: `wam/<hostname>`.
    public var mqttTopicPrefix = ""
    public var mqttQoS = 0
    public var mqttKeepalive = 60
    /// Which windows are published: the explained ones, all classified ones (at most
    /// `mqttMaxPerSecond`), or none (status and discovery only).
    public var mqttWindows = MQTTWindows.explained
    public var mqttMaxPerSecond = 5.0
    /// Messages held while the broker is away; the oldest are dropped (counted) past it.
    public var mqttQueue = 1000
    /// Seconds between stats messages (0: none).
    public var mqttStatsInterval = 60
    public var mqttDiscovery = true
    public var mqttDiscoveryPrefix = "homeassistant"
    /// TLS: the CA file that verifies the broker (TLS is on when set), and an optional client
    /// certificate and key.
    public var mqttTLSCA = ""
    public var mqttTLSCert = ""
    public var mqttTLSKey = ""

    public init() {}
}

extension DaemonConfiguration {
    /// The settings the classifier is built from ([model] and the batch size): they take effect
    /// at a start, not at a reload.
    struct ModelSettings: Equatable {
        var path: String, rate: Int, inputShape: [Int], threads: Int, maxBatch: Int
        var inputs: [String: String], state: [String: String], explainInput: String, output: String
    }

    var modelSettings: ModelSettings {
        get {
            ModelSettings(
                path: modelPath, rate: modelRate, inputShape: inputShape, threads: threads, maxBatch: maxBatch, inputs: modelInputs,
                state: modelState, explainInput: explainInput, output: explainOutput)
        }
        set {
            (modelPath, modelRate, inputShape, threads, maxBatch) = (
                newValue.path, newValue.rate, newValue.inputShape, newValue.threads, newValue.maxBatch
            )
            (modelInputs, modelState, explainInput, explainOutput) = (newValue.inputs, newValue.state, newValue.explainInput, newValue.output)
        }
    }

    /// The live view's address for links (`http.public_url`, else `http(s)://<bind>:<port>`, the
    /// host name standing for an all-interfaces bind), or nil when the live view is off.
    public var liveViewURL: String? {
        guard httpEnabled else { return nil }
        guard httpPublicURL.isEmpty else { return httpPublicURL }
        let scheme = tlsCertificatePath.isEmpty ? "http" : "https"
        var host = ["0.0.0.0", "::", ""].contains(httpBind) ? ProcessInfo.processInfo.hostName : httpBind
        if host.contains(":") { host = "[\(host)]" }
        return "\(scheme)://\(host):\(httpPort)"
    }

    /// The `[mqtt]` section as one value, to see whether a reload changed it.
    struct MQTTSection: Equatable {
        var enabled: Bool, host: String, port: Int, username: String, passwordFile: String, clientID: String, topicPrefix: String
        var qos: Int, keepalive: Int, windows: MQTTWindows, maxPerSecond: Double, queue: Int, discovery: Bool, discoveryPrefix: String
        var tlsCA: String, tlsCert: String, tlsKey: String, statsInterval: Int
        /// The classes of the discovery's binary sensors.
        var classes: [String]
        /// Where the messages' links point (`[http]`; nil when the live view is off).
        var links: String?
    }

    var mqttSection: MQTTSection {
        MQTTSection(
            enabled: mqttEnabled, host: mqttHost, port: mqttPort, username: mqttUsername, passwordFile: mqttPasswordFile, clientID: mqttClientID,
            topicPrefix: mqttTopicPrefix, qos: mqttQoS, keepalive: mqttKeepalive, windows: mqttWindows, maxPerSecond: mqttMaxPerSecond,
            queue: mqttQueue, discovery: mqttDiscovery, discoveryPrefix: mqttDiscoveryPrefix, tlsCA: mqttTLSCA, tlsCert: mqttTLSCert,
            tlsKey: mqttTLSKey, statsInterval: mqttStatsInterval, classes: classes, links: liveViewURL)
    }

    /// One key of the file: where it lives, what it accepts, how it is set.
    struct Field: Sendable {
        let section: String
        let key: String
        let expected: String
        let apply: @Sendable (inout DaemonConfiguration, ConfigValue) -> Bool

        var path: String { "\(section).\(key)" }
    }

    /// A parsed value, independent of the TOML library.
    enum ConfigValue: Sendable {
        case integer(Int), number(Double), text(String), flag(Bool), list([ConfigValue]), table([String: ConfigValue])

        var integer: Int? { if case let .integer(v) = self { v } else { nil } }
        var number: Double? {
            switch self {
            case let .number(v): v
            case let .integer(v): Double(v)
            default: nil
            }
        }
        var text: String? { if case let .text(v) = self { v } else { nil } }
        var flag: Bool? { if case let .flag(v) = self { v } else { nil } }
    }

    static func integer(
        _ section: String, _ key: String, _ range: ClosedRange<Int>,
        _ keyPath: WritableKeyPath<DaemonConfiguration, Int> & Sendable
    ) -> Field {
        Field(section: section, key: key, expected: "an integer in \(range.lowerBound)...\(range.upperBound)") { config, value in
            guard let v = value.integer, range.contains(v) else { return false }
            config[keyPath: keyPath] = v
            return true
        }
    }

    static func number(
        _ section: String, _ key: String, _ range: ClosedRange<Double>,
        _ keyPath: WritableKeyPath<DaemonConfiguration, Double> & Sendable
    ) -> Field {
        Field(section: section, key: key, expected: "a number in \(range.lowerBound)...\(range.upperBound)") { config, value in
            guard let v = value.number, range.contains(v) else { return false }
            config[keyPath: keyPath] = v
            return true
        }
    }

    static func text(
        _ section: String, _ key: String, _ choices: [String]?,
        _ keyPath: WritableKeyPath<DaemonConfiguration, String> & Sendable
    ) -> Field {
        let expected = choices.map { "one of " + $0.map { "\"\($0)\"" }.joined(separator: ", ") } ?? "a string"
        return Field(section: section, key: key, expected: expected) { config, value in
            guard let v = value.text, choices?.contains(v) ?? true else { return false }
            config[keyPath: keyPath] = v
            return true
        }
    }

    static func spelled<Value: Spelled>(
        _ section: String, _ key: String,
        _ keyPath: WritableKeyPath<DaemonConfiguration, Value> & Sendable
    ) -> Field {
        Field(section: section, key: key, expected: "one of " + Value.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")) {
            config, value in
            guard let text = value.text, let v = try? Value(spelling: text, key: "\(section).\(key)") else { return false }
            config[keyPath: keyPath] = v
            return true
        }
    }

    static func flag(_ section: String, _ key: String, _ keyPath: WritableKeyPath<DaemonConfiguration, Bool> & Sendable) -> Field {
        Field(section: section, key: key, expected: "true or false") { config, value in
            guard let v = value.flag else { return false }
            config[keyPath: keyPath] = v
            return true
        }
    }

    /// Every key of the file.
    static let fields: [Field] = [
        text("source", "input", nil, \.input),
        integer("source", "rate", SampleRates.supported, \.captureRate),
        integer("source", "channels", 1...32, \.captureChannels),
        spelled("source", "format", \.rawFormat),
        flag("source", "backpressure", \.stdinBackpressure),
        integer("source", "period_frames", 64...65536, \.periodFrames),
        number("source", "reopen_delay", 0.01...60, \.reopenDelay),
        number("source", "buffer_seconds", 0.1...3600, \.bufferSeconds),
        text("model", "path", nil, \.modelPath),
        integer("model", "rate", SampleRates.supported, \.modelRate),
        integer("model", "threads", 1...64, \.threads),
        Field(section: "model", key: "input_shape", expected: "a list of sizes such as [1, 16000], or [] for the declared shape") { config, value in
            guard case let .list(items) = value else { return false }
            let sizes = items.compactMap(\.integer)
            guard sizes.count == items.count, sizes.allSatisfy({ (1...100_000_000).contains($0) }) else { return false }
            config.inputShape = sizes
            return true
        },
        Field(
            section: "model", key: "inputs",
            expected: "a table of input names and values, each a number or the path of a .npy file, such as { sr = 16000 }"
        ) { config, value in
            guard case let .table(entries) = value else { return false }
            var inputs: [String: String] = [:]
            for (name, entry) in entries {
                switch entry {
                case let .integer(number): inputs[name] = String(number)
                case let .number(number) where number.isFinite: inputs[name] = String(number)
                case let .text(path) where path.lowercased().hasSuffix(".npy"): inputs[name] = path
                default: return false
                }
            }
            config.modelInputs = inputs
            return true
        },
        Field(
            section: "model", key: "state",
            expected: "a table of state inputs and the outputs holding their next values, such as { state = \"stateN\" }"
        ) {
            config, value in
            guard case let .table(entries) = value else { return false }
            let pairs = entries.compactMapValues(\.text)
            guard pairs.count == entries.count, pairs.values.allSatisfy({ !$0.isEmpty }) else { return false }
            config.modelState = pairs
            return true
        },
        text("model", "explain_input", nil, \.explainInput),
        text("model", "output", nil, \.explainOutput),
        integer("windows", "hop", 0...10_000_000, \.hop),
        number("gates", "min_dbfs", -200...0, \.minDBFS),
        Field(section: "gates", key: "classes", expected: "a list of class labels") { config, value in
            guard case let .list(items) = value else { return false }
            let labels = items.compactMap(\.text)
            guard labels.count == items.count else { return false }
            config.classes = labels
            return true
        },
        number("gates", "min_probability", 0...1, \.minProbability),
        integer("gates", "max_per_class_per_minute", 0...100_000, \.maxPerClassPerMinute),
        flag("gates", "onsets", \.onsetsOnly),
        spelled("explain", "method", \.explanation.method),
        Field(section: "explain", key: "wavelet", expected: "a wavelet name (`wam wavelet list`)") { config, value in
            guard let name = value.text, (try? Wavelet(name)) != nil else { return false }
            config.explanation.wavelet = name
            return true
        },
        spelled("explain", "mode", \.explanation.mode),
        Field(section: "explain", key: "levels", expected: "an integer in 1...30") { config, value in
            guard let v = value.integer, (1...30).contains(v) else { return false }
            config.explanation.levels = v
            return true
        },
        Field(section: "explain", key: "steps", expected: ExplanationRequest.Steps.expected) { config, value in
            guard let steps = try? ExplanationRequest.Steps(spelling: value.integer.map(String.init) ?? value.text ?? "", key: "explain.steps")
            else { return false }
            config.explanation.steps = steps
            return true
        },
        number("explain", "tolerance", 0.000001...1, \.explanation.tolerance),
        integer("explain", "max_steps", 1...100_000, \.explanation.maxSteps),
        integer("explain", "samples", 1...10_000, \.explanation.samples),
        number("explain", "spread", 0...10, \.explanation.spread),
        number("explain", "keep", 0.000001...1, \.explanation.keep),
        spelled("explain", "rank", \.explanation.rank),
        integer("explain", "width", 1...10_000, \.explanation.width),
        integer("explain", "workers", 1...64, \.workers),
        integer("explain", "queue", 1...10_000, \.queueLength),
        integer("explain", "max_batch", 1...1024, \.maxBatch),
        flag("explain", "profiles_only", \.profilesOnly),
        flag("explain", "write_input", \.writeInput),
        spelled("explain", "on_stop", \.onStop),
        number("explain", "stop_timeout", 0...3600, \.stopTimeout),
        text("output", "dir", nil, \.outputDirectory),
        integer("output", "max_bytes", 0...Int.max, \.maxBytes),
        number("output", "max_age_days", 0...36500, \.maxAgeDays),
        integer("output", "keep_newest_per_class", 0...100_000, \.keepNewestPerClass),
        integer("output", "min_free_bytes", 0...Int.max, \.minFreeBytes),
        number("output", "check_interval", 0.05...86400, \.checkInterval),
        spelled("log", "level", \.logLevel),
        flag("http", "enabled", \.httpEnabled),
        text("http", "bind", nil, \.httpBind),
        integer("http", "port", 1...65535, \.httpPort),
        text("http", "token", nil, \.httpToken),
        text("http", "tls_cert", nil, \.tlsCertificatePath),
        text("http", "tls_key", nil, \.tlsKeyPath),
        flag("http", "allow_plain_http", \.allowPlainHTTP),
        integer("http", "max_upload_bytes", 1024...(1 << 32), \.maxUploadBytes),
        integer("http", "max_connections", 4...4096, \.maxConnections),
        number("http", "idle_timeout", 1...3600, \.idleTimeout),
        Field(section: "http", key: "public_url", expected: "an http:// or https:// address with a host and no user, query or fragment, or empty") {
            config, value in
            guard let text = value.text else { return false }
            if !text.isEmpty {
                guard let url = URLComponents(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                    !(url.host ?? "").isEmpty, url.user == nil, url.password == nil, url.query == nil, url.fragment == nil,
                    (1...65535).contains(url.port ?? 1), !text.contains(where: \.isWhitespace)
                else { return false }
            }
            config.httpPublicURL = text.hasSuffix("/") ? String(text.dropLast()) : text
            return true
        },
        flag("mqtt", "enabled", \.mqttEnabled),
        text("mqtt", "host", nil, \.mqttHost),
        integer("mqtt", "port", 1...65535, \.mqttPort),
        text("mqtt", "username", nil, \.mqttUsername),
        text("mqtt", "password_file", nil, \.mqttPasswordFile),
        text("mqtt", "client_id", nil, \.mqttClientID),
        text("mqtt", "topic_prefix", nil, \.mqttTopicPrefix),
        integer("mqtt", "qos", 0...1, \.mqttQoS),
        integer("mqtt", "keepalive", 5...3600, \.mqttKeepalive),
        spelled("mqtt", "windows", \.mqttWindows),
        number("mqtt", "max_per_second", 0.01...1000, \.mqttMaxPerSecond),
        integer("mqtt", "queue", 1...1_000_000, \.mqttQueue),
        integer("mqtt", "stats_interval", 0...86400, \.mqttStatsInterval),
        flag("mqtt", "discovery", \.mqttDiscovery),
        text("mqtt", "discovery_prefix", nil, \.mqttDiscoveryPrefix),
        text("mqtt", "tls_ca", nil, \.mqttTLSCA),
        text("mqtt", "tls_cert", nil, \.mqttTLSCert),
        text("mqtt", "tls_key", nil, \.mqttTLSKey),
    ]
}

/// What a stop does with the explanations still queued (`explain.on_stop`).
public enum StopPolicy: String, Spelled {
    /// Write them, within `explain.stop_timeout`.
    case finish
    /// Drop them at once (counted).
    case drop
}

/// `mqtt.windows`: which windows are published.
public enum MQTTWindows: String, Spelled {
    case explained, all, none
}

/// `source.format`: spelled as its raw value.
extension RawPCMStream.Format: Spelled {}

/// `log.level`: spelled as swift-log names its levels.
extension Logger.Level: Spelled {}
