import Daemon
import Foundation

/// The state of the daemon for `/healthz`: one status per component and an overall one.
///
/// Unhealthy (HTTP 503): the daemon is not ready yet; the source ended or its device is being
/// reopened; a live source (ALSA, standard input) delivered no window for `staleAfter` seconds;
/// writes are paused for lack of disk space. Degraded (still 200): the explanation queue is full,
/// so explanations are being dropped; `[mqtt]` is on but the broker is not connected (the
/// messages wait in a bounded queue).
struct HealthReport: Encodable, Sendable {
    /// Worst last: the overall status is the worst of the components'.
    enum Status: String, Encodable, Sendable, Comparable, CaseIterable {
        case ok, degraded, unhealthy

        static func < (a: Status, b: Status) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    struct Source: Encodable, Sendable {
        let status: Status
        let input: String
        let state: String
        /// The file being read (spool and file sources).
        let file: String?
        let lastWindowTime: Date?
        let secondsSinceLastWindow: Double?
        let staleAfterSeconds: Double
        let windowsPerSecond: Double
        let windowsClassified: Int
        let inputErrors: Int
        let overruns: Int
    }

    struct Classifier: Encodable, Sendable {
        let status: Status
        let model: String
        let sha256: String
        let classes: Int
        /// Median seconds per window over the last 256.
        let medianSeconds: Double?
    }

    struct Explainer: Encodable, Sendable {
        let status: Status
        let method: String
        let queueDepth: Int
        let queueCapacity: Int
        let workers: Int
        let windowsExplained: Int
        let dropped: Int
        let failed: Int
        let medianSeconds: Double?
    }

    struct Disk: Encodable, Sendable {
        let status: Status
        let freeBytes: Int
        let minFreeBytes: Int
        let outputBytes: Int
        /// 0 when unlimited.
        let maxBytes: Int
        let writesPaused: Bool
    }

    struct MQTT: Encodable, Sendable {
        let status: Status
        let broker: String
        let connected: Bool
        let published: Int
        let dropped: Int
        let queued: Int
        let connections: Int
        let skipped: Int
    }

    struct Components: Encodable, Sendable {
        let source: Source
        let classifier: Classifier
        let explainer: Explainer
        let disk: Disk
        /// Absent when `[mqtt]` is off.
        let mqtt: MQTT?
    }

    let status: Status
    let ready: Bool
    let time: Date
    /// Why the status is not `ok`, one sentence each.
    let problems: [String]
    let components: Components

    /// The health of `daemon` now; `since` is when the live view started (the reference for a
    /// source that never delivered a window).
    init(daemon: AttributionDaemon, since started: Date, now: Date = Date()) {
        let snapshot = daemon.metrics.snapshot, settings = daemon.currentConfiguration
        let windowSamples = daemon.model.inputShape.last ?? 1
        let hopSeconds = Double(settings.hop > 0 ? settings.hop : windowSamples) / Double(settings.modelRate)
        let staleAfter = max(10, 10 * hopSeconds)
        let silentFor = now.timeIntervalSince(snapshot.lastWindowTime ?? started)
        let isLive: Bool
        switch try? AudioSourceSpecification(settings.input) {
        case .alsa, .standardInput: isLive = true
        default: isLive = false
        }
        var problems: [String] = []
        var sourceStatus = Status.ok
        switch snapshot.sourceState {
        case .reopening:
            sourceStatus = .unhealthy
            problems.append("the capture device is unavailable and being reopened")
        case .ended:
            sourceStatus = .unhealthy
            problems.append("the source ended")
        case _ where !daemon.isReady:
            sourceStatus = .unhealthy
            problems.append("the daemon is starting: the source is not open yet")
        case _ where isLive && silentFor > staleAfter:
            sourceStatus = .unhealthy
            problems.append(String(format: "no window for %.0f s (limit %.0f s)", silentFor, staleAfter))
        default:
            break
        }
        let queueFull = snapshot.queueDepth >= settings.queueLength
        if queueFull { problems.append("the explanation queue is full: explanations are being dropped") }
        if snapshot.diskPaused { problems.append("writes are paused: free space is under output.min_free_bytes") }

        let source = Source(
            status: sourceStatus, input: settings.input, state: snapshot.sourceState.rawValue, file: snapshot.sourceFile,
            lastWindowTime: snapshot.lastWindowTime, secondsSinceLastWindow: snapshot.lastWindowTime.map { now.timeIntervalSince($0) },
            staleAfterSeconds: staleAfter, windowsPerSecond: daemon.metrics.windowsPerSecond,
            windowsClassified: snapshot.windowsClassified, inputErrors: snapshot.inputErrors, overruns: snapshot.overruns)
        let classifier = Classifier(
            status: .ok, model: daemon.model.url.lastPathComponent, sha256: daemon.model.sha256,
            classes: daemon.labels.count, medianSeconds: Self.median(snapshot.classifySeconds))
        let explainer = Explainer(
            status: queueFull ? .degraded : .ok, method: settings.explanation.method.rawValue, queueDepth: snapshot.queueDepth,
            queueCapacity: settings.queueLength, workers: settings.workers,
            windowsExplained: snapshot.windowsExplained, dropped: snapshot.explanationsDropped,
            failed: snapshot.explanationsFailed, medianSeconds: Self.median(snapshot.explainSeconds))
        let disk = Disk(
            status: snapshot.diskPaused ? .unhealthy : .ok, freeBytes: snapshot.freeBytes, minFreeBytes: settings.minFreeBytes,
            outputBytes: snapshot.outputBytes, maxBytes: settings.maxBytes, writesPaused: snapshot.diskPaused)
        let mqttStatus = daemon.mqttStatus
        let mqtt = mqttStatus.map {
            MQTT(
                status: $0.connected ? .ok : .degraded, broker: $0.broker, connected: $0.connected, published: $0.published,
                dropped: $0.dropped, queued: $0.queued, connections: $0.connections, skipped: $0.skipped)
        }
        if let status = mqttStatus, !status.connected {
            problems.append(
                "not connected to the MQTT broker \(status.broker)" + (status.lastError.map { " (\($0))" } ?? "") + ": messages wait in its queue")
        }
        components = Components(source: source, classifier: classifier, explainer: explainer, disk: disk, mqtt: mqtt)
        status = [source.status, classifier.status, explainer.status, disk.status, mqtt?.status ?? .ok].max()!
        ready = daemon.isReady
        time = now
        self.problems = problems
    }

    private static func median(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.sorted()[values.count / 2]
    }
}
