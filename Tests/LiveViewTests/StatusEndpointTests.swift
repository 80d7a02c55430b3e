import Daemon
import Foundation
import Testing

@Suite struct StatusEndpointTests {
    @Test("/healthz reports every component and 200 while the spool source waits for files")
    func health() async throws {
        let fixture = try await LiveFixture.shared.value
        let response = try await fixture.client.get("/healthz")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let health = try response.json()
        #expect(health["status"] as? String == "ok")
        #expect(health["ready"] as? Bool == true)
        #expect((health["problems"] as? [String])?.isEmpty == true)
        let components = try #require(health["components"] as? [String: Any])
        let source = try #require(components["source"] as? [String: Any])
        #expect(source["input"] as? String == "spool:\(fixture.spool.path)")
        #expect((source["windows_classified"] as? Int ?? 0) >= 40)
        #expect(source["last_window_time"] is String)
        let explainer = try #require(components["explainer"] as? [String: Any])
        #expect(explainer["queue_capacity"] as? Int == 64)
        #expect((explainer["windows_explained"] as? Int ?? 0) >= 5)
        let disk = try #require(components["disk"] as? [String: Any])
        #expect(disk["writes_paused"] as? Bool == false)
        #expect((disk["free_bytes"] as? Int ?? 0) > 0)
    }

    @Test("/metrics is valid Prometheus text that follows the daemon's counters")
    func metrics() async throws {
        let fixture = try await LiveFixture.shared.value
        let snapshot = fixture.daemon.metrics.snapshot
        let response = try await fixture.client.get("/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let metrics = try PrometheusText(response.text)
        for (family, type) in [
            ("wamd_windows_classified_total", "counter"), ("wamd_explain_duration_seconds", "histogram"),
            ("wamd_classify_duration_seconds", "histogram"), ("wamd_queue_depth", "gauge"),
            ("wamd_real_time_factor", "gauge"), ("wamd_disk_budget_used_ratio", "gauge"),
            ("wamd_written_bytes_total", "counter"), ("wamd_explanations_dropped_total", "counter"),
        ] {
            #expect(metrics.types[family] == type, "\(family)")
        }
        // The scrape reads the counters after the snapshot: never fewer.
        #expect(try #require(metrics.value("wamd_windows_classified_total")) >= Double(snapshot.windowsClassified))
        #expect(try #require(metrics.value("wamd_windows_explained_total")) >= Double(snapshot.windowsExplained))
        #expect(try #require(metrics.value("wamd_explain_duration_seconds_count")) >= Double(snapshot.windowsExplained))
        #expect(try #require(metrics.value("wamd_windows_gated_total", ["reason": "unlikely"])) > 0)
        #expect(metrics.value("wamd_model_loaded", ["model": "audio-resnet.onnx", "sha256": fixture.daemon.model.sha256]) == 1)
        #expect(metrics.value("wamd_build_info", ["version": "0.1.0"]) == 1)
        #expect(try #require(metrics.value("wamd_real_time_factor")) > 0)
        #expect(metrics.value("wamd_source_up") == 1)

        // Counters only grow between scrapes.
        try fixture.feed("audio/piano.wav")
        try await waitFor("the piano window", timeout: 120) { fixture.daemon.metrics.snapshot.windowsClassified > snapshot.windowsClassified }
        let later = try PrometheusText(try await fixture.client.get("/metrics").text)
        #expect(try #require(later.value("wamd_windows_classified_total")) > Double(snapshot.windowsClassified))
    }

    @Test("/api/v1/info describes the model, gates, method and limits")
    func info() async throws {
        let fixture = try await LiveFixture.shared.value
        let info = try await fixture.client.get("/api/v1/info").json()
        let model = try #require(info["model"] as? [String: Any])
        #expect(model["classes"] as? [String] == fixture.daemon.labels)
        #expect(model["sample_rate"] as? Int == 16000)
        #expect(model["window_samples"] as? Int == 16000)
        #expect((info["gates"] as? [String: Any])?["min_probability"] as? Double == 0.6)
        #expect((info["explain"] as? [String: Any])?["method"] as? String == "gradient")
        #expect((info["limits"] as? [String: Any])?["max_upload_bytes"] as? Int == 20 << 20)
    }

    @Test("a served path with another method gets 405 and Allow; no route at all a JSON 404; HEAD works wherever GET does")
    func methods() async throws {
        let fixture = try await LiveFixture.shared.value
        for (method, path, allowed) in [
            ("DELETE", "/healthz", "GET, HEAD"), ("POST", "/api/v1/windows", "GET, HEAD"),
            ("GET", "/api/v1/explain", "POST"), ("PUT", "/", "GET, HEAD"),
        ] {
            let response = try await fixture.client.send(method, path)
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.headers["allow"] == allowed, "\(method) \(path)")
            #expect(response.text.contains("\"status\":405"))
        }
        let missing = try await fixture.client.get("/api/v2/nothing")
        #expect(missing.status == 404 && missing.text.contains("no such endpoint"))
        let head = try await fixture.client.send("HEAD", "/healthz", headOnly: true)
        #expect(head.status == 200)
    }
}
