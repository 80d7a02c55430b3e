import Daemon
import DaemonTestSupport
import Foundation
import Glibc
import Prometheus
import Testing

@testable import LiveView

@Suite struct UploadTests {
    static func sample(_ name: String) throws -> Data {
        try Data(contentsOf: LiveFixture.samples.appendingPathComponent(name))
    }

    @Test("a recording posted as a form is explained, written under upload/ and announced")
    func form() async throws {
        let fixture = try await LiveFixture.shared.value
        let before = fixture.daemon.events.recent(limit: 1).first?.sequence ?? 0
        let response = try await fixture.client.send(
            "POST", "/api/v1/explain", headers: ["Content-Type": FormBody.contentType],
            body: FormBody.make([("note", nil, Data("hello".utf8)), ("file", "yes.wav", try Self.sample("audio/yes.wav"))]))
        #expect(response.status == 200)
        let windows = try #require(try response.json()["windows"] as? [[String: Any]])
        #expect(windows.count == 1)
        let window = try #require(windows.first)
        let id = try #require(window["id"] as? String)
        #expect(id.hasPrefix("upload~"))
        let document = try #require(window["document"] as? [String: Any])
        #expect((document["target"] as? [String: Any])?["label"] as? String == "yes")
        #expect((document["input"] as? [String: Any])?["file"] as? String == "yes.wav")
        #expect((document["files"] as? [String: Any])?["input_wav"] is String)
        let links = try #require(window["links"] as? [String: String])
        for link in ["document", "interpretation_wav", "input_wav", "scalogram_png"] {
            #expect(try await fixture.client.get(try #require(links[link])).status == 200, "\(link)")
        }
        let event = try #require(
            fixture.daemon.events.recent(limit: 2000, kind: .explained).first {
                $0.document.flatMap(WindowID.of(document:)) == id
            })
        #expect(event.sequence > before && event.source == "upload" && event.prediction == "yes")
        #expect(event.document?.hasPrefix("upload/") == true)
    }

    @Test("a raw body is explained too; its file name is sanitised and ?window= picks one window")
    func raw() async throws {
        let fixture = try await LiveFixture.shared.value
        let response = try await fixture.client.send(
            "POST", "/api/v1/explain?window=4",
            headers: [
                "Content-Type": "audio/wav", "Content-Disposition": "attachment; filename=\"../../my <stream>.wav\"",
            ], body: try Self.sample("audio/stream-40s.wav"))
        #expect(response.status == 200)
        let windows = try #require(try response.json()["windows"] as? [[String: Any]])
        let input = try #require((windows.first?["document"] as? [String: Any])?["input"] as? [String: Any])
        #expect(windows.count == 1)
        #expect(input["file"] as? String == "mystream.wav")
        #expect(input["window_start"] as? Int == 64000)
        #expect(input["window_count"] as? Int == 40)
    }

    @Test(
        "bad uploads are refused with a clear 4xx",
        arguments: [
            ("text/plain", Data("hello".utf8), "", 415, "multipart/form-data"),
            ("audio/wav", Data(), "", 400, "empty"),
            ("audio/wav", Data(repeating: 7, count: 4096), "", 422, "Format not recognised"),
            ("multipart/form-data", Data("--x\r\n\r\n".utf8), "", 400, "boundary"),
            (
                FormBody.contentType, Data("--wam-test-boundary\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc".utf8), "", 400,
                "terminated"
            ),
            (FormBody.contentType, FormBody.make([("note", nil, Data("hi".utf8))]), "", 400, "no file part"),
            ("audio/wav", Data(), "?window=-1", 400, "window"),
            ("audio/wav", Data(), "?window=x", 400, "window"),
            (
                "audio/wav", WAVBytes.float32((0..<16000).map { $0 == 100 ? .nan : Float(sin(Double($0) / 10)) }, channels: 1, rate: 16000),
                "", 422, "NaN or infinity"
            ),
            // Finite but extreme samples: the model's outputs overflow (NaN logits).
            ("audio/wav", WAVBytes.float32([Float](repeating: 3e38, count: 16000), channels: 1, rate: 16000), "", 422, "not finite"),
            // Finite but extreme samples at another rate: the resampler overflows into NaN.
            (
                "audio/wav", WAVBytes.float32((0..<44100).map { $0 % 2 == 0 ? 3e38 : -3e38 }, channels: 1, rate: 44100), "", 422,
                "NaN or infinity"
            ),
        ] as [(String, Data, String, Int, String)])
    func refused(_ type: String, _ body: Data, _ query: String, _ status: Int, _ reason: String) async throws {
        let fixture = try await LiveFixture.shared.value
        let response = try await fixture.client.send("POST", "/api/v1/explain" + query, headers: ["Content-Type": type], body: body)
        #expect(response.status == status)
        let message = try #require((try response.json()["error"] as? [String: Any])?["message"] as? String)
        #expect(message.contains(reason), "\(message)")
    }

    @Test("recordings with too many windows, or without the requested one, are 422")
    func windows() async throws {
        let fixture = try await LiveFixture.shared.value
        let stream = try Self.sample("audio/stream-40s.wav")
        let all = try await fixture.client.send("POST", "/api/v1/explain", headers: ["Content-Type": "audio/wav"], body: stream)
        #expect(all.status == 422)
        #expect(all.text.contains("40 windows") && all.text.contains("?window=N"))
        let beyond = try await fixture.client.send("POST", "/api/v1/explain?window=40", headers: ["Content-Type": "audio/wav"], body: stream)
        #expect(beyond.status == 422)
        #expect(beyond.text.contains("0...39"))
    }

    @Test("uploads over max_upload_bytes are refused with 413, announced or chunked, and counted")
    func tooLarge() async throws {
        let fixture = try await LiveFixture.shared.value
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        settings.maxUploadBytes = 1024
        let registry = PrometheusCollectorRegistry()
        let (port, server) = try await fixture.serve(settings, registry: registry)
        defer { server.cancel() }
        let client = RawHTTP(port: port)
        let yes = try Self.sample("audio/yes.wav")
        let announced = try await client.send("POST", "/api/v1/explain", headers: ["Content-Type": "audio/wav"], body: yes)
        #expect(announced.status == 413)
        #expect(announced.text.contains("max_upload_bytes = 1024"))
        let chunk = String(yes.count, radix: 16)
        let chunked = try await client.send(
            "POST", "/api/v1/explain",
            headers: [
                "Content-Type": "audio/wav", "Transfer-Encoding": "chunked",
                "Content-Length": "",
            ],
            body: Data("\(chunk)\r\n".utf8) + yes + Data("\r\n0\r\n\r\n".utf8))
        #expect(chunked.status == 413)
        let form = try await client.send(
            "POST", "/api/v1/explain", headers: ["Content-Type": FormBody.contentType],
            body: FormBody.make([("file", "yes.wav", yes)]))
        #expect(form.status == 413)
        #expect(try await client.get("/healthz").status == 200)
        let metrics = try PrometheusText(try await client.get("/metrics").text)
        #expect(metrics.value("wamd_uploads_total", ["result": "rejected"]) == 3)
        #expect(metrics.value("wamd_uploads_total", ["result": "explained"]) == 0)
    }

    @Test(
        "20 concurrent 20 MB uploads: two are received at a time, the rest refused before their bodies are read; memory stays flat and OUT/.uploads is left empty"
    )
    func concurrentLargeUploads() async throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(at: scratch.path("spool"), withIntermediateDirectories: true)
        let port = try WamdProcessTests.freePort()
        let wamd = try DaemonProcess([
            "spool:\(scratch.path("spool").path)", "--model", ListenerTests.model, "--out", scratch.path("out").path,
            "--set", "http.enabled=true", "--set", "http.port=\(port)",
        ])
        defer { wamd.signal(SIGKILL) }
        try await waitFor("the live view", timeout: 120) { wamd.log.contains("Server started") }
        _ = try await RawHTTP(port: port).get("/healthz")
        let baseline = try #require(wamd.peakResidentKilobytes)
        // 625 s of 16 kHz noise: too many windows, refused once its header is read.
        var body = WAVBytes.header(format: 1, bitsPerSample: 16, channels: 1, rate: 16000, dataBytes: 20_000_000)
        body.append(Data((0..<20_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }))
        let upload = body
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await RawHTTP(port: port).send("POST", "/api/v1/explain", headers: ["Content-Type": "audio/wav"], body: upload).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { [422, 503].contains($0) }, "\(statuses)")
        #expect(statuses.contains(503) && statuses.contains(422))
        let peak = try #require(wamd.peakResidentKilobytes)
        #expect(peak - baseline < 80_000, "peak resident memory grew by \((peak - baseline) / 1000) MB")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path("out/.uploads").path)) ?? []
        #expect(left.isEmpty, "\(left)")
        #expect(try await RawHTTP(port: port).get("/healthz").status == 200)
    }

    @Test("uploads beyond the waiting limit are refused with 503 and Retry-After")
    func busy() async throws {
        let fixture = try await LiveFixture.shared.value
        var settings = try LiveViewSettings(fixture.daemon.currentConfiguration)
        settings.maxPendingUploads = 0
        let (port, server) = try await fixture.serve(settings)
        defer { server.cancel() }
        let response = try await RawHTTP(port: port).send(
            "POST", "/api/v1/explain", headers: ["Content-Type": "audio/wav"],
            body: try Self.sample("audio/yes.wav"))
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "5")
    }
}
