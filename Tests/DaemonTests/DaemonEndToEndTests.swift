import AudioIO
import DaemonTestSupport
import Foundation
import Testing

/// `wamd` as a process on the bundled model and the 40 s sample recording.
@Suite(.serialized) struct DaemonEndToEndTests {
    /// Fast settings: cheap explanations of every window above 0.6 probability.
    static func arguments(out: URL, _ extra: [String] = []) -> [String] {
        [
            "--model", DaemonProcess.model, "--out", out.path, "--set", "explain.method=\"gradient\"", "--set", "gates.min_probability=0.6",
            "--set", "gates.max_per_class_per_minute=0", "--set", "output.check_interval=0.2", "--set", "log.level=\"debug\"",
        ] + extra
    }

    @Test("a file: 40 windows classified and logged, the confident ones explained with valid JSON and WAV")
    func file() throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(["file:" + DaemonProcess.stream.path] + Self.arguments(out: scratch.url))
        #expect(daemon.wait(timeout: 120) == 0, "\(daemon.log)")
        let output = OutputFolder(root: scratch.url)
        let lines = output.logLines
        #expect(lines.count == 40)
        #expect(lines.map { $0["sample_index"] as? Int } == (0..<40).map { $0 * 16000 })
        let explained = lines.filter { $0["decision"] as? String == "explain" }
        let documents = output.documents
        #expect(!documents.isEmpty && documents.count == explained.count)
        for document in documents {
            #expect(document["schema_version"] as? Int == 1)
            let stream = try #require(document["stream"] as? [String: Any])
            #expect(stream["source"] as? String == "file:stream-40s.wav")
            #expect((stream["sample_index"] as? Int).map { $0 % 16000 == 0 } == true)
        }
        for wav in output.files.filter({ $0.pathExtension == "wav" }) {
            let audio = try AudioFile.read(wav)
            #expect(audio.frames == 16000 && audio.sampleRate == 16000)
        }
        // The events of the recording (Samples/audio/stream-40s.json) are what gets explained.
        let events =
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: DaemonProcess.stream.deletingPathExtension()
                        .appendingPathExtension("json"))) as? [String: Any]
        let classes = Set(((events?["events"] as? [[String: Any]]) ?? []).compactMap { $0["class"] as? String })
        let predicted = Set(explained.compactMap { $0["prediction"] as? String })
        #expect(predicted.intersection(classes).count >= 5, "explained \(predicted), events \(classes)")
        #expect(output.temporaryFiles.isEmpty)
    }

    @Test("raw PCM on standard input read like a file (source.backpressure) gives the same windows as the file")
    func standardInput() throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(
            ["-", "--format", "s16le", "--rate", "16000", "--channels", "1"]
                + Self.arguments(out: scratch.url, ["--set", "source.backpressure=true"]))
        daemon.input.fileHandleForWriting.write(try rawStream())
        try daemon.input.fileHandleForWriting.close()
        #expect(daemon.wait(timeout: 120) == 0, "\(daemon.log)")
        let lines = OutputFolder(root: scratch.url).logLines
        #expect(lines.count == 40)
        #expect(lines.allSatisfy { $0["source"] as? String == "stdin" })
    }

    @Test("a raw stream at another rate than the model's is resampled; an impossible rate is refused at start")
    func rawStreamRates() throws {
        let scratch = try Scratch()
        // 40 s of 16 kHz samples declared as 32 kHz: 20 s of audio once resampled to the model's rate.
        let resampled = try DaemonProcess(
            ["-", "--format", "s16le", "--rate", "32000"]
                + Self.arguments(out: scratch.path("fast"), ["--set", "source.backpressure=true"]))
        resampled.input.fileHandleForWriting.write(try rawStream())
        try resampled.input.fileHandleForWriting.close()
        #expect(resampled.wait(timeout: 120) == 0, "\(resampled.log)")
        #expect(OutputFolder(root: scratch.path("fast")).logLines.map { $0["sample_index"] as? Int } == (0..<20).map { $0 * 16000 })

        let refused = try DaemonProcess(["-", "--format", "s16le", "--rate", "1"] + Self.arguments(out: scratch.path("slow")))
        #expect(refused.wait(timeout: 60) == 2)
        #expect(refused.log.contains("source.rate: expected an integer in 1000...384000, got 1"), "\(refused.log)")
    }

    @Test("memory does not grow with the length of a standard-input stream")
    func standardInputMemoryStaysFlat() throws {
        let scratch = try Scratch()
        // Classification only (no window is loud enough to be explained): the fastest way through many windows.
        let daemon = try DaemonProcess(
            ["-", "--format", "s16le", "--rate", "16000"]
                + Self.arguments(out: scratch.url, ["--set", "gates.min_dbfs=0", "--set", "source.backpressure=true"]))
        let (stream, input) = (try rawStream(), daemon.input.fileHandleForWriting)
        func logged(_ count: Int) -> Bool { OutputFolder(root: scratch.url).logLines.count >= count }
        input.write(stream)
        #expect(DaemonProcess.eventually(timeout: 120) { logged(40) })
        let before = try #require(daemon.peakResidentKilobytes)
        for _ in 0..<20 { input.write(stream) }
        #expect(DaemonProcess.eventually(timeout: 300) { logged(840) })
        let after = try #require(daemon.peakResidentKilobytes)
        try input.close()
        #expect(daemon.wait(timeout: 60) == 0, "\(daemon.log)")
        // 800 windows more; a leak of a window's bytes (32 KB of s16le) each would add 25 MB.
        #expect(after - before < 8 * 1024, "peak resident memory grew from \(before) kB to \(after) kB")
    }

    @Test("NaN samples on a stream skip their window, are logged, and the rest goes on")
    func nonFiniteSamples() throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(["-", "--format", "f32le", "--rate", "16000"] + Self.arguments(out: scratch.url))
        var samples = (0..<48000).map { Float(0.3 * sin(Double($0) * 0.05)) }
        samples[20000] = .nan
        daemon.input.fileHandleForWriting.write(samples.withUnsafeBytes { Data($0) })
        try daemon.input.fileHandleForWriting.close()
        #expect(daemon.wait(timeout: 60) == 0, "\(daemon.log)")
        #expect(OutputFolder(root: scratch.url).logLines.map { $0["sample_index"] as? Int } == [0, 32000])
        #expect(daemon.log.contains("window skipped: NaN or infinite samples"))
    }

    @Test("windows whose model outputs are not finite (extreme samples) are skipped, logged and counted, never logged as nan")
    func nonFiniteOutputs() throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(["-", "--format", "f32le", "--rate", "16000"] + Self.arguments(out: scratch.url))
        var samples = (0..<48000).map { Float(0.3 * sin(Double($0) * 0.05)) }
        for index in 16000..<32000 { samples[index] = 3e38 }
        daemon.input.fileHandleForWriting.write(samples.withUnsafeBytes { Data($0) })
        try daemon.input.fileHandleForWriting.close()
        #expect(daemon.wait(timeout: 60) == 0, "\(daemon.log)")
        let output = OutputFolder(root: scratch.url)
        #expect(output.logLines.map { $0["sample_index"] as? Int } == [0, 32000])
        #expect(daemon.log.contains("window skipped: the model's outputs are not finite"))
        #expect(!output.files.contains { (try? String(contentsOf: $0, encoding: .utf8))?.contains("\"nan\"") == true })
        #expect(daemon.log.contains("input_errors=1"))
    }

    @Test("a spool folder: every finished file processed once, bad files to failed/, a crashed file resumed")
    func spool() throws {
        let scratch = try Scratch()
        let spool = scratch.path("spool"), out = scratch.path("out")
        try FileManager.default.createDirectory(at: spool.appendingPathComponent("processing"), withIntermediateDirectories: true)
        // A file a previous run was processing when it crashed.
        let clip = DaemonProcess.root.appendingPathComponent("Samples/audio/piano.wav")
        try FileManager.default.copyItem(at: clip, to: spool.appendingPathComponent("processing/leftover.wav"))
        let daemon = try DaemonProcess(["spool:" + spool.path] + Self.arguments(out: out))
        #expect(
            DaemonProcess.eventually { daemon.log.contains("\"ready\"") || daemon.log.contains(" ready ") || daemon.log.contains("ready source") })
        // A good recording arrives by rename; bad ones are written in place.
        try FileManager.default.copyItem(at: DaemonProcess.stream, to: spool.appendingPathComponent(".incoming.wav"))
        try FileManager.default.moveItem(at: spool.appendingPathComponent(".incoming.wav"), to: spool.appendingPathComponent("long.wav"))
        try Data().write(to: spool.appendingPathComponent("empty.wav"))
        try Data("RIFF garbage that is not audio".utf8).write(to: spool.appendingPathComponent("corrupt.wav"))
        try Data(contentsOf: DaemonProcess.stream).prefix(200_000).write(to: spool.appendingPathComponent("truncated.wav"))
        try Data("fLaC but not really".utf8).write(to: spool.appendingPathComponent("unsupported.flac"))
        let done = spool.appendingPathComponent("done"), failed = spool.appendingPathComponent("failed")
        func names(_ folder: URL) -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []) }
        #expect(
            DaemonProcess.eventually(timeout: 120) {
                names(done) == ["long.wav", "leftover.wav"] && names(failed) == ["empty.wav", "corrupt.wav", "truncated.wav", "unsupported.flac"]
            }, "done \(names(done)), failed \(names(failed))\n\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 60) == 0)
        let lines = OutputFolder(root: out).logLines
        // leftover (1 window) + long (40) + what the truncated file held before its damage (7).
        #expect(lines.count == 48, "\(lines.count) windows")
        #expect(daemon.log.components(separatedBy: "spool file failed").count - 1 == 4)
        #expect(names(spool).subtracting(["processing", "done", "failed"]).isEmpty)
    }

    @Test("a model that does not take audio windows is refused at start with a clear error and exit 78 (EX_CONFIG: not restarted)")
    func wrongModel() throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess([
            "file:" + DaemonProcess.stream.path, "--model",
            DaemonProcess.root.appendingPathComponent("Samples/models/digits-cnn.onnx").path,
            "--out", scratch.url.path,
        ])
        #expect(daemon.wait(timeout: 60) == 78)
        #expect(daemon.log.contains("wamd needs a mono waveform model"))
    }

    @Test("--check-config explains every error with key, line and expectation; exit 2")
    func checkConfig() throws {
        let scratch = try Scratch()
        let file = scratch.path("bad.toml")
        try "[gates]\nmin_probability = \"high\"\n".write(to: file, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(["--check-config", file.path])
        #expect(daemon.wait(timeout: 30) == 2)
        #expect(daemon.log.contains("bad.toml:2: gates.min_probability: expected a number in 0.0...1.0, got \"high\""))
        #expect(daemon.log.contains("model.path: expected the path of an .onnx model"))
    }

    @Test("the disk budget holds the byte limit; the free-space floor pauses writes and says so")
    func diskBudget() throws {
        let scratch = try Scratch()
        let limit = 300_000
        let daemon = try DaemonProcess(
            ["file:" + DaemonProcess.stream.path]
                + Self.arguments(
                    out: scratch.url,
                    [
                        "--set", "gates.min_probability=0", "--set", "output.max_bytes=\(limit)", "--set", "output.keep_newest_per_class=0",
                    ]))
        #expect(daemon.wait(timeout: 120) == 0, "\(daemon.log)")
        let explanationBytes = OutputFolder(root: scratch.url).files.filter { $0.lastPathComponent != "windows.jsonl" }
            .reduce(0) { $0 + ((try? $1.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) }
        #expect(explanationBytes <= limit)
        #expect(daemon.log.contains("disk budget enforced"))

        // A file waits for space rather than being read without its results.
        let floor = try Scratch()
        let paused = try DaemonProcess(
            ["file:" + DaemonProcess.stream.path]
                + Self.arguments(
                    out: floor.url,
                    [
                        "--set", "output.min_free_bytes=\(Int.max / 2)",
                    ]))
        #expect(DaemonProcess.eventually(timeout: 60) { paused.log.contains("pausing writes: free space under the floor") })
        Thread.sleep(forTimeInterval: 2)
        #expect(paused.process.isRunning, "the file was read on while writes were paused")
        paused.signal(SIGTERM)
        #expect(paused.wait(timeout: 60) == 0)
        #expect(OutputFolder(root: floor.url).files.isEmpty)
    }
}
