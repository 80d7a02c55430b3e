import Daemon
import Foundation
import Hummingbird
import Workflow

/// `GET /healthz`, `GET /metrics` and `GET /api/v1/info`: is the daemon well, what has it
/// done, and how is it set up.
struct StatusRoutes: Sendable {
    let daemon: AttributionDaemon
    let exporter: MetricsExporter
    let settings: LiveViewSettings
    /// When the live view started.
    let started: Date

    func register(on router: Endpoints) {
        router.get("/healthz") { _, _ in try health() }
        router.get("/metrics") { _, _ in
            APIResponse.bytes(
                Data(exporter.scrape().utf8), type: "text/plain; version=0.0.4; charset=utf-8",
                headers: [.cacheControl: "no-store"])
        }
        router.get("/api/v1/info") { _, _ in try APIResponse.json(info()) }
    }

    private func health() throws -> Response {
        let report = HealthReport(daemon: daemon, since: started)
        var response = try APIResponse.json(report, status: report.status == .unhealthy ? .serviceUnavailable : .ok)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// What clients need to interpret the windows: model, classes, gates, method, limits.
    struct Info: Encodable, Sendable {
        struct Model: Encodable, Sendable {
            let file: String
            let sha256: String
            let classes: [String]
            let sampleRate: Int
            let windowSamples: Int
        }

        struct Gates: Encodable, Sendable {
            let minProbability: Double
            let minDbfs: Double
            let classes: [String]
            let maxPerClassPerMinute: Int
        }

        struct Explain: Encodable, Sendable {
            let method: String
            let wavelet: String
            let levels: Int
            let keep: Double
        }

        struct Limits: Encodable, Sendable {
            let maxUploadBytes: Int
            let maxUploadWindows: Int
        }

        let version: String
        let source: String
        let model: Model
        let gates: Gates
        let explain: Explain
        let limits: Limits
    }

    private func info() -> Info {
        let c = daemon.currentConfiguration
        return Info(
            version: WamVersion.current, source: c.input,
            model: .init(
                file: daemon.model.url.lastPathComponent, sha256: daemon.model.sha256, classes: daemon.labels,
                sampleRate: c.modelRate, windowSamples: daemon.model.inputShape.last ?? 0),
            gates: .init(
                minProbability: c.minProbability, minDbfs: c.minDBFS, classes: c.classes,
                maxPerClassPerMinute: c.maxPerClassPerMinute),
            explain: .init(
                method: c.explanation.method.rawValue, wavelet: c.explanation.wavelet, levels: c.explanation.levels ?? 0,
                keep: c.explanation.keep),
            limits: .init(maxUploadBytes: settings.maxUploadBytes, maxUploadWindows: settings.maxUploadWindows))
    }
}
