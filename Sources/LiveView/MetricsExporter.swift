import Daemon
import Foundation
import Prometheus
import Synchronization
import Workflow

/// The daemon's state as Prometheus metrics (`wamd_*`) in a `PrometheusCollectorRegistry`.
///
/// Counters follow the daemon's totals (what was added since the previous scrape is added at
/// each scrape), gauges are set at each scrape, and the classify and explain durations fill
/// histograms as the daemon records them.
final class MetricsExporter: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let daemon: AttributionDaemon
    private let counters: [FollowedCounter]
    private let exported: Mutex<[Double]>
    private let gauges: [FollowedGauge]
    private let uploads: [UploadOutcome: Counter]
    private let eventClients: Gauge

    /// A counter that follows a total of the daemon.
    private struct FollowedCounter: Sendable {
        let counter: Counter
        let total: @Sendable (AttributionDaemon, MetricsSnapshot) -> Double
    }

    /// A gauge set from the daemon at each scrape.
    private struct FollowedGauge: Sendable {
        let gauge: Gauge
        let value: @Sendable (AttributionDaemon, MetricsSnapshot) -> Double
    }

    /// How an upload ended, for `wamd_uploads_total{result=...}`.
    enum UploadOutcome: String, CaseIterable, Sendable {
        case explained, rejected, failed
    }

    init(daemon: AttributionDaemon, registry: PrometheusCollectorRegistry) {
        self.daemon = daemon
        self.registry = registry
        func name(_ metric: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "wamd", metricName: metric, unitName: unit, helpText: help)
        }
        func counter(
            _ metric: String, _ help: String, labels: [(String, String)] = [],
            _ total: @escaping @Sendable (MetricsSnapshot) -> Double
        ) -> FollowedCounter {
            daemonCounter(metric, help, labels: labels) { _, snapshot in total(snapshot) }
        }
        func daemonCounter(
            _ metric: String, _ help: String, labels: [(String, String)] = [],
            _ total: @escaping @Sendable (AttributionDaemon, MetricsSnapshot) -> Double
        ) -> FollowedCounter {
            FollowedCounter(counter: registry.makeCounter(descriptor: name(metric, unit: "total", help), labels: labels), total: total)
        }
        func gauge(
            _ metric: String, _ help: String,
            _ value: @escaping @Sendable (AttributionDaemon, MetricsSnapshot) -> Double
        ) -> FollowedGauge {
            FollowedGauge(gauge: registry.makeGauge(descriptor: name(metric, help), labels: []), value: value)
        }

        let gated: [GateDecision] = [.quiet, .otherClass, .unlikely, .rateLimited, .continuing]
        counters =
            [
                counter("windows_classified", "Windows classified") { Double($0.windowsClassified) },
                counter("windows_explained", "Windows explained and written") { Double($0.windowsExplained) },
                counter("explanations_dropped", "Explanations dropped from a full queue or at a stop") { Double($0.explanationsDropped) },
                counter("explanations_failed", "Explanations that failed") { Double($0.explanationsFailed) },
                counter("overruns", "Capture blocks lost because classification fell behind") { Double($0.overruns) },
                counter("input_errors", "Unreadable files, non-finite samples, lost devices") { Double($0.inputErrors) },
                counter("written_bytes", "Bytes of explanations and window logs written") { Double($0.bytesWritten) },
                counter("deleted_files", "Files deleted by the disk budget") { Double($0.filesDeleted) },
                counter("deleted_bytes", "Bytes deleted by the disk budget") { Double($0.bytesDeleted) },
                counter("writes_skipped_low_disk", "Explanations not written for lack of free space") { Double($0.writesSkippedLowDisk) },
                counter("stale_files_removed", "Temporary files of interrupted writes and uploads removed at start") {
                    Double($0.staleFilesRemoved)
                },
                counter("audio_seconds", "Seconds of audio classified") { $0.audioSeconds },
                daemonCounter("mqtt_published_messages", "MQTT messages handed to the broker") { d, _ in Double(d.mqttStatus?.published ?? 0) },
                daemonCounter("mqtt_dropped_messages", "MQTT messages dropped from a full queue while the broker was away") { d, _ in
                    Double(d.mqttStatus?.dropped ?? 0)
                },
                daemonCounter("mqtt_skipped_windows", "Classified windows not published because of mqtt.max_per_second") { d, _ in
                    Double(d.mqttStatus?.skipped ?? 0)
                },
            ]
            + gated.map { decision in
                counter("windows_gated", "Classified windows not explained, by gate", labels: [("reason", decision.rawValue)]) {
                    Double($0.windowsGated[decision.rawValue] ?? 0)
                }
            }
        exported = Mutex([Double](repeating: 0, count: counters.count))

        gauges = [
            gauge("queue_depth", "Explanations waiting") { _, s in Double(s.queueDepth) },
            gauge("queue_capacity", "Explanations that may wait") { d, _ in Double(d.currentConfiguration.queueLength) },
            gauge("output_bytes", "Bytes in the output folder") { _, s in Double(s.outputBytes) },
            gauge("disk_budget_bytes", "output.max_bytes (0: unlimited)") { d, _ in Double(d.currentConfiguration.maxBytes) },
            gauge("disk_budget_used_ratio", "Output bytes over output.max_bytes (0 when unlimited)") { d, s in
                let budget = d.currentConfiguration.maxBytes
                return budget > 0 ? Double(s.outputBytes) / Double(budget) : 0
            },
            gauge("free_bytes", "Free bytes on the output file system") { _, s in Double(s.freeBytes) },
            gauge("writes_paused", "1 while writes pause for lack of free space") { _, s in s.diskPaused ? 1 : 0 },
            gauge("source_up", "1 while the source delivers audio or waits for spool files") { d, s in
                d.isReady && ![.ended, .reopening].contains(s.sourceState) ? 1 : 0
            },
            gauge("windows_per_second", "Windows classified per second since the start") { d, _ in d.metrics.windowsPerSecond },
            gauge("last_window_timestamp_seconds", "Unix time of the last classified window (0: none yet)") { _, s in
                s.lastWindowTime?.timeIntervalSince1970 ?? 0
            },
            gauge("mqtt_connected", "1 while connected to the MQTT broker ([mqtt]; 0 when off)") { d, _ in
                d.mqttStatus?.connected == true ? 1 : 0
            },
            gauge("mqtt_queued_messages", "MQTT messages waiting for the broker") { d, _ in Double(d.mqttStatus?.queued ?? 0) },
            gauge("real_time_factor", "Seconds spent classifying and explaining per second of audio (all threads)") { _, s in
                s.audioSeconds > 0 ? s.processingSeconds / s.audioSeconds : 0
            },
        ]
        uploads = Dictionary(
            uniqueKeysWithValues: UploadOutcome.allCases.map {
                (
                    $0,
                    registry.makeCounter(
                        descriptor: name("uploads", unit: "total", "Recordings posted to /api/v1/explain, by result"),
                        labels: [("result", $0.rawValue)])
                )
            })
        eventClients = registry.makeGauge(descriptor: name("event_clients", "Open /api/v1/events streams"), labels: [])
        registry.makeGauge(
            descriptor: name("model_loaded", "The loaded model (always 1)"),
            labels: [("model", daemon.model.url.lastPathComponent), ("sha256", daemon.model.sha256)]
        ).set(1.0)
        registry.makeGauge(descriptor: name("build_info", "The version of wamd (always 1)"), labels: [("version", WamVersion.current)]).set(1.0)

        let buckets: [Duration] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .seconds($0) }
        let histograms: [TimedStep: DurationHistogram] = [
            .classify: registry.makeDurationHistogram(
                descriptor: name("classify_duration", unit: "seconds", "Seconds per classified window (forward pass and gates)"),
                buckets: buckets),
            .explain: registry.makeDurationHistogram(
                descriptor: name("explain_duration", unit: "seconds", "Seconds per explanation, files included"), buckets: buckets),
        ]
        daemon.metrics.observeDurations { step, seconds in
            histograms[step]?.record(.seconds(seconds))
        }
    }

    /// Brings every metric up to date and returns the Prometheus text exposition.
    func scrape() -> String {
        let snapshot = daemon.metrics.snapshot
        exported.withLock { previous in
            for (index, followed) in counters.enumerated() {
                let added = followed.total(daemon, snapshot) - previous[index]
                guard added > 0 else { continue }
                if added == added.rounded() { followed.counter.increment(by: Int64(added)) } else { followed.counter.increment(by: added) }
                previous[index] += added
            }
        }
        for followed in gauges { followed.gauge.set(followed.value(daemon, snapshot)) }
        return registry.emitToString()
    }

    /// Counts one upload.
    func countUpload(_ outcome: UploadOutcome) {
        uploads[outcome]?.increment()
    }

    /// Follows the number of open event streams.
    func setEventClients(_ count: Int) {
        eventClients.set(Double(count))
    }
}
