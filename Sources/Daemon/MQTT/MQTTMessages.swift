import Attribution
import Foundation
import Workflow

/// The payload of a window message (schema version 1, `Docs/mqtt-window.schema.json`).
struct MQTTWindowMessage: Codable, Equatable {
    struct Band: Codable, Equatable {
        /// `A6`, `D1`, ... (METHOD.md).
        let name: String
        let lowHz: Double?
        let highHz: Double?
        /// Share of the explanation's total |attribution|.
        let importance: Double

        enum CodingKeys: String, CodingKey {
            case name, importance
            case lowHz = "low_hz", highHz = "high_hz"
        }
    }

    /// The window in the live view (`Docs/openapi.yaml`), when `[http]` is on.
    struct Links: Codable, Equatable {
        let window: String
        let interpretationWav: String?
        let inputWav: String?

        enum CodingKeys: String, CodingKey {
            case window
            case interpretationWav = "interpretation_wav", inputWav = "input_wav"
        }
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
    let links: Links?

    // Spelled out: the encoder's snake-case conversion took most of a message's encoding time.
    enum CodingKeys: String, CodingKey {
        case schema, kind, time, source, `class`, probability, dbfs, decision, top, document, links
        case sampleIndex = "sample_index", scaleProfile = "scale_profile"
    }

    /// The message of `event`; `result` for an explained window, `liveView` the live view's address.
    init(event: WindowEvent, result: WindowResult?, liveView: String?) {
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
        scaleProfile = result?.document.scaleProfile.levels.map {
            Band(name: $0.name, lowHz: $0.frequencyBand?.first, highHz: $0.frequencyBand?.last, importance: $0.importance)
        }
        if let liveView, let id = event.document.flatMap(WindowID.of(document:)), let files = result?.document.files {
            let window = "\(liveView)/api/v1/windows/\(id)"
            links = Links(
                window: window, interpretationWav: files.interpretationWav.map { _ in "\(window)/interpretation.wav" },
                inputWav: files.inputWav.map { _ in "\(window)/input.wav" })
        } else {
            links = nil
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}

/// The payload of a stats message (schema version 1, `Docs/mqtt-stats.schema.json`): how the
/// instance has been doing since the previous one.
struct MQTTStatsMessage: Codable, Equatable {
    var schema = 1
    let time: Date
    /// The configured source (`alsa:default`, `spool:incoming`, ...).
    let source: String
    /// Seconds since the previous stats message (or the start).
    let intervalSeconds: Double
    /// Over the interval.
    let windowsPerSecond: Double
    /// Seconds spent classifying and explaining per second of audio over the interval (0: no audio).
    let realTimeFactor: Double
    let windowsClassified: Int
    let windowsExplained: Int
    let explanationsDropped: Int
    let queueDepth: Int
    let queueCapacity: Int
    let outputBytes: Int
    /// `output.max_bytes` (0: unlimited).
    let maxBytes: Int
    let freeBytes: Int
    let writesPaused: Bool
    /// MQTT messages dropped from a full queue while the broker was away.
    let messagesDropped: Int

    enum CodingKeys: String, CodingKey {
        case schema, time, source
        case intervalSeconds = "interval_seconds", windowsPerSecond = "windows_per_second", realTimeFactor = "real_time_factor"
        case windowsClassified = "windows_classified", windowsExplained = "windows_explained"
        case explanationsDropped = "explanations_dropped", queueDepth = "queue_depth", queueCapacity = "queue_capacity"
        case outputBytes = "output_bytes", maxBytes = "max_bytes", freeBytes = "free_bytes", writesPaused = "writes_paused"
        case messagesDropped = "messages_dropped"
    }

    /// The stats of `now` against `previous` (the snapshot of the last message) over `interval` seconds.
    init(
        now: MetricsSnapshot, previous: MetricsSnapshot, interval: Double, source: String, configuration: DaemonConfiguration,
        messagesDropped: Int, time: Date = Date()
    ) {
        self.time = time
        self.source = source
        intervalSeconds = interval
        windowsPerSecond = interval > 0 ? Double(now.windowsClassified - previous.windowsClassified) / interval : 0
        let audio = now.audioSeconds - previous.audioSeconds
        realTimeFactor = audio > 0 ? (now.processingSeconds - previous.processingSeconds) / audio : 0
        windowsClassified = now.windowsClassified
        windowsExplained = now.windowsExplained
        explanationsDropped = now.explanationsDropped
        queueDepth = now.queueDepth
        queueCapacity = configuration.queueLength
        outputBytes = now.outputBytes
        maxBytes = configuration.maxBytes
        freeBytes = now.freeBytes
        writesPaused = now.diskPaused
        self.messagesDropped = messagesDropped
    }
}
