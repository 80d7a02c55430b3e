import AudioIO
import Foundation
import Rendering
import Testing

@Suite struct WindowEndpointTests {
    /// The explained windows of the bundled stream, newest first.
    static func explained(_ fixture: LiveFixture) async throws -> [[String: Any]] {
        let response = try await fixture.client.get("/api/v1/windows?kind=explained&limit=2000")
        #expect(response.status == 200)
        return try #require(try response.json()["windows"] as? [[String: Any]]).filter { $0["source"] as? String == "file:stream-40s.wav" }
    }

    @Test("/api/v1/windows lists classified and explained windows, newest first, sub-threshold ones included")
    func list() async throws {
        let fixture = try await LiveFixture.shared.value
        let windows = try #require(try await fixture.client.get("/api/v1/windows?limit=2000").json()["windows"] as? [[String: Any]])
        let sequences = windows.compactMap { $0["sequence"] as? Int }
        #expect(sequences.count == windows.count && sequences == sequences.sorted(by: >))
        let classified = windows.filter { $0["kind"] as? String == "classified" && $0["source"] as? String == "file:stream-40s.wav" }
        #expect(classified.count == 40)
        #expect(classified.contains { $0["decision"] as? String == "unlikely" && ($0["probability"] as? Double ?? 1) < 0.6 })
        #expect(classified.allSatisfy { $0["id"] == nil && $0["links"] == nil })
        let top = try #require(classified.first?["top"] as? [[String: Any]])
        let probabilities = top.compactMap { $0["probability"] as? Double }
        #expect(top.count == 3 && probabilities == probabilities.sorted(by: >))

        #expect(try await fixture.client.get("/api/v1/windows?limit=2").json()["windows"] as? [Any] != nil)
        #expect((try await fixture.client.get("/api/v1/windows?limit=2").json()["windows"] as? [Any])?.count == 2)
    }

    @Test("class, since and kind filter the list")
    func filters() async throws {
        let fixture = try await LiveFixture.shared.value
        let explained = try await Self.explained(fixture)
        #expect(explained.count >= 5)
        #expect(explained.allSatisfy { ($0["probability"] as? Double ?? 0) >= 0.6 && $0["decision"] as? String == "explain" })
        let label = try #require(explained.first?["prediction"] as? String)
        let ofClass = try #require(try await fixture.client.get("/api/v1/windows?class=\(label)&limit=2000").json()["windows"] as? [[String: Any]])
        #expect(!ofClass.isEmpty && ofClass.allSatisfy { $0["prediction"] as? String == label })

        let times = explained.compactMap { $0["time"] as? String }.sorted()
        let middle = times[times.count / 2]
        let since = try #require(
            try await fixture.client.get("/api/v1/windows?kind=explained&limit=2000&since=\(middle)")
                .json()["windows"] as? [[String: Any]]
        ).filter { $0["source"] as? String == "file:stream-40s.wav" }
        // The daemon may have explained more windows since `explained` was read: those are later still.
        let sinceTimes = Set(since.compactMap { $0["time"] as? String })
        #expect(sinceTimes.count == since.count && sinceTimes.allSatisfy { $0 > middle })
        #expect(Set(times.filter { $0 > middle }).isSubset(of: sinceTimes))
    }

    @Test(
        "bad query parameters are refused with 400 and a JSON reason",
        arguments: [
            "limit=0", "limit=abc", "limit=5000", "class=cat", "since=yesterday", "kind=everything",
        ])
    func badQuery(_ query: String) async throws {
        let fixture = try await LiveFixture.shared.value
        let response = try await fixture.client.get("/api/v1/windows?\(query)")
        #expect(response.status == 400)
        let error = try #require(try response.json()["error"] as? [String: Any])
        #expect(error["status"] as? Int == 400)
        #expect((error["message"] as? String)?.isEmpty == false)
    }

    @Test("a window's document, input and interpretation audio and scalogram are served and valid")
    func files() async throws {
        let fixture = try await LiveFixture.shared.value
        let window = try #require(try await Self.explained(fixture).first)
        let links = try #require(window["links"] as? [String: String])
        let id = try #require(window["id"] as? String)
        #expect(links["document"] == "/api/v1/windows/\(id)")

        let document = try await fixture.client.get(try #require(links["document"]))
        #expect(document.status == 200 && document.headers["content-type"] == "application/json")
        #expect(document.headers["cache-control"]?.contains("immutable") == true)
        let json = try document.json()
        #expect(json["schema_version"] as? Int == 1)
        #expect((json["target"] as? [String: Any])?["label"] as? String == window["prediction"] as? String)
        let levels = try #require((json["scale_profile"] as? [String: Any])?["levels"] as? [[String: Any]])
        #expect(levels.count == 7 && levels.allSatisfy { ($0["frequency_band"] as? [Double])?.count == 2 })

        // The input window is the stream's samples at the window's position (16-bit rounding aside).
        let input = try await Self.audio(fixture, try #require(links["input_wav"]))
        let stream = try AudioFile.read(LiveFixture.samples.appendingPathComponent("audio/stream-40s.wav")).samples
        let start = try #require(window["sample_index"] as? Int)
        #expect(input.count == 16000)
        #expect(zip(input, stream[start..<(start + 16000)]).allSatisfy { abs($0 - $1) < 1e-3 })
        let interpretation = try await Self.audio(fixture, try #require(links["interpretation_wav"]))
        #expect(interpretation.count == 16000 && interpretation != input && interpretation.contains { $0 != 0 })

        let png = try await fixture.client.get(try #require(links["scalogram_png"]))
        #expect(png.status == 200 && png.headers["content-type"] == "image/png")
        let picture = try PNGCodec.decodeGrey(png.body, name: "scalogram.png")
        #expect(picture.width == 960 && picture.height > 300)
        #expect(Set(picture.values).count > 50)
    }

    /// Downloads a WAV and decodes it with libsndfile; checks its format on the way.
    static func audio(_ fixture: LiveFixture, _ path: String) async throws -> [Float] {
        let response = try await fixture.client.get(path)
        #expect(response.status == 200 && response.headers["content-type"] == "audio/wav")
        #expect(response.body.prefix(4) == Data("RIFF".utf8) && response.body.dropFirst(8).prefix(4) == Data("WAVE".utf8))
        let url = fixture.folder.appendingPathComponent("\(UUID().uuidString).wav")
        try response.body.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let audio = try AudioFile.read(url)
        #expect(audio.sampleRate == 16000 && audio.channels == 1)
        return audio.samples
    }

    @Test("unknown windows are 404 and malformed ids 400")
    func missing() async throws {
        let fixture = try await LiveFixture.shared.value
        for path in [
            "/api/v1/windows/file-x~2020-01-01~120000.000_yes_0.99", "/api/v1/windows/file-x~2020-01-01~nothing/input.wav",
            "/api/v1/windows/upload~2020-01-01~nothing/scalogram.png",
        ] {
            let response = try await fixture.client.get(path)
            #expect(response.status == 404, "\(path)")
            #expect((try response.json()["error"] as? [String: Any])?["status"] as? Int == 404)
        }
        for path in ["/api/v1/windows/just-a-name", "/api/v1/windows/a~2020-1-1~b", "/api/v1/windows/a~2020-01-01~b~c"] {
            #expect(try await fixture.client.get(path).status == 400, "\(path)")
        }
    }

    @Test("no request path reaches a file outside the output folder")
    func traversal() async throws {
        let fixture = try await LiveFixture.shared.value
        // A secret beside the output folder, and a link from inside the output folder to it.
        let secret = fixture.folder.appendingPathComponent("secret/2020-01-01")
        try FileManager.default.createDirectory(at: secret, withIntermediateDirectories: true)
        try Data("{\"secret\": true}".utf8).write(to: secret.appendingPathComponent("key.json"))
        try? FileManager.default.createSymbolicLink(
            at: fixture.output.appendingPathComponent("escape"),
            withDestinationURL: secret.deletingLastPathComponent())
        let targets = [
            "/api/v1/windows/../../../../etc/passwd", "/api/v1/windows/..%2f..%2f..%2f..%2fetc%2fpasswd",
            "/api/v1/windows/%2e%2e~%2e%2e~passwd", "/api/v1/windows/..~2020-01-01~key/input.wav",
            "/api/v1/windows/%2Fetc%2Fpasswd", "/api/v1/windows/file-x~2020-01-01~..%2F..%2F..%2Fsecret%2F2020-01-01%2Fkey",
            "/api/v1/windows/escape~2020-01-01~key", "/api/v1/windows/escape~2020-01-01~key/scalogram.png",
            "/api/v1/windows/file-x~2020-01-01~key%00", "/api/v1/windows/~~", "//etc/passwd", "/assets/../../../../etc/passwd",
            "/api/v1/windows/\(fixture.output.path)", "/api/v1/windows/file-x~2020-01-01~key/..%2f..%2f..%2fkey.json",
        ]
        for target in targets {
            let response = try await fixture.client.get(target)
            #expect([400, 404].contains(response.status), "\(target): \(response.status)")
            #expect(!response.text.contains("root:") && !response.text.contains("secret\""), "\(target)")
        }
    }
}
