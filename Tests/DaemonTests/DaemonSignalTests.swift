import DaemonTestSupport
import Foundation
import Testing

/// Capture through ALSA, signals, and the systemd notify protocol.
@Suite(.serialized) struct DaemonSignalTests {
    /// An ALSA configuration whose `testcap` device captures the long sample through the
    /// `file` plugin (no sound card needed); used through `ALSA_CONFIG_PATH`.
    static func alsaEnvironment(_ scratch: Scratch) throws -> [String: String] {
        let raw = scratch.path("stream.raw")
        try rawStream().write(to: raw)
        let config = scratch.path("asound.conf")
        try """
        pcm.testcap {
            type file
            slave.pcm { type null }
            file "/dev/null"
            infile "\(raw.path)"
            format "raw"
        }
        """.write(to: config, atomically: true, encoding: .utf8)
        return ["ALSA_CONFIG_PATH": config.path]
    }

    /// ALSA's file plugin delivers audio much faster than real time (no pacing), so the capture
    /// buffer is made large enough that the first 40 s are never the oldest audio dropped.
    static func arguments(out: URL, _ extra: [String] = []) -> [String] {
        DaemonEndToEndTests.arguments(out: out, ["--set", "source.buffer_seconds=3600", "--set", "source.period_frames=1000"] + extra)
    }

    @Test("ALSA capture: the known samples come in, the file's windows and classes come out; SIGTERM exits 0")
    func alsaCapture() throws {
        let scratch = try Scratch()
        let reference = try Scratch()
        let file = try DaemonProcess(["file:" + DaemonProcess.stream.path] + DaemonEndToEndTests.arguments(out: reference.url))
        #expect(file.wait(timeout: 120) == 0)
        let expected = OutputFolder(root: reference.url).logLines.map { $0["prediction"] as? String }
        let daemon = try DaemonProcess(["alsa:testcap"] + Self.arguments(out: scratch.url), environment: try Self.alsaEnvironment(scratch))
        #expect(DaemonProcess.eventually(timeout: 120) { OutputFolder(root: scratch.url).logLines.count >= 40 }, "\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 60) == 0, "\(daemon.log)")
        let lines = OutputFolder(root: scratch.url).logLines
        #expect(lines.first?["source"] as? String == "alsa:testcap")
        #expect(Array(lines.prefix(40)).map { $0["prediction"] as? String } == expected)
        #expect(OutputFolder(root: scratch.url).temporaryFiles.isEmpty)
    }

    @Test("SIGTERM in the middle of a stream: no partial files, every document complete, exit 0")
    func terminateMidStream() throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(
            ["-", "--format", "s16le"]
                + DaemonEndToEndTests.arguments(
                    out: scratch.url,
                    [
                        "--set", "explain.method=\"intgrad\"", "--set", "explain.steps=64", "--set", "explain.on_stop=\"drop\"",
                    ]))
        daemon.input.fileHandleForWriting.write(try rawStream())
        #expect(DaemonProcess.eventually(timeout: 120) { !OutputFolder(root: scratch.url).documents.isEmpty })
        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 60) == 0, "\(daemon.log)")
        let output = OutputFolder(root: scratch.url)
        #expect(output.temporaryFiles.isEmpty)
        let jsons = output.files.filter { $0.pathExtension == "json" }
        #expect(output.documents.count == jsons.count, "a JSON file does not parse")
        for json in jsons {
            #expect(FileManager.default.fileExists(atPath: json.deletingPathExtension().appendingPathExtension("wav").path))
        }
        #expect(daemon.log.contains("stopping"))
    }

    @Test("SIGHUP applies a new threshold without dropping the stream")
    func reload() throws {
        let scratch = try Scratch()
        let config = scratch.path("wamd.toml")
        func write(minDBFS: Double) throws {
            try """
            [source]
            backpressure = true
            [model]
            path = "\(DaemonProcess.model)"
            [gates]
            min_dbfs = \(minDBFS)
            min_probability = 0.0
            max_per_class_per_minute = 0
            [explain]
            method = "gradient"
            """.write(to: config, atomically: true, encoding: .utf8)
        }
        try write(minDBFS: 0)  // Nothing is that loud: every window is "quiet".
        let out = scratch.path("out")
        let daemon = try DaemonProcess(["-", "--config", config.path, "--out", out.path])
        let audio = try rawStream()
        daemon.input.fileHandleForWriting.write(audio.prefix(10 * 32000))
        #expect(DaemonProcess.eventually { OutputFolder(root: out).logLines.count >= 10 }, "\(daemon.log)")
        try write(minDBFS: -120)
        daemon.signal(SIGHUP)
        #expect(DaemonProcess.eventually { daemon.log.contains("configuration reloaded") }, "\(daemon.log)")
        daemon.input.fileHandleForWriting.write(audio.suffix(from: audio.startIndex + 10 * 32000))
        try daemon.input.fileHandleForWriting.close()
        #expect(daemon.wait(timeout: 120) == 0, "\(daemon.log)")
        let decisions = OutputFolder(root: out).logLines.map { $0["decision"] as? String }
        #expect(decisions.count == 40)
        #expect(decisions.prefix(10).allSatisfy { $0 == "quiet" })
        #expect(decisions.suffix(20).allSatisfy { $0 == "explain" })
    }

    @Test("SIGHUP with changed [model] settings: an invalid one is refused, a valid one waits for a restart; both say so")
    func reloadModelSettings() throws {
        let scratch = try Scratch()
        let config = scratch.path("wamd.toml")
        func write(_ model: String) throws {
            try "[source]\nbackpressure = true\n[model]\npath = \"\(DaemonProcess.model)\"\n\(model)\n".write(
                to: config, atomically: true, encoding: .utf8)
        }
        try write("")
        let daemon = try DaemonProcess(["-", "--config", config.path, "--out", scratch.path("out").path])
        let audio = try rawStream()
        daemon.input.fileHandleForWriting.write(audio.prefix(4 * 32000))
        #expect(DaemonProcess.eventually { OutputFolder(root: scratch.path("out")).logLines.count >= 2 }, "\(daemon.log)")
        try write("inputs = { rate = 16000 }")  // the bundled model has no input 'rate'
        daemon.signal(SIGHUP)
        #expect(DaemonProcess.eventually { daemon.log.contains("reload failed") }, "\(daemon.log)")
        #expect(daemon.log.contains("'rate': a value is given for it, but the model has no input of that name"), "\(daemon.log)")
        try write("threads = 2")
        daemon.signal(SIGHUP)
        #expect(DaemonProcess.eventually { daemon.log.contains("[model], output folder, workers and queue changes need a restart") }, "\(daemon.log)")
        try daemon.input.fileHandleForWriting.close()
        #expect(daemon.wait(timeout: 120) == 0, "\(daemon.log)")
    }

    @Test("notify protocol: READY, STATUS, WATCHDOG while windows flow and none while the source stalls, STOPPING")
    func notifyProtocol() throws {
        let scratch = try Scratch()
        let socket = try NotifySocket(path: scratch.path("notify").path)
        let daemon = try DaemonProcess(
            ["-", "--format", "s16le"] + DaemonEndToEndTests.arguments(out: scratch.path("out")),
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1000000"])
        let audio = try rawStream()
        // Feed about real time for 3 s so that windows keep flowing.
        for second in 0..<3 {
            daemon.input.fileHandleForWriting.write(
                audio.subdata(in: (audio.startIndex + second * 32000)..<(audio.startIndex + (second + 1) * 32000)))
            Thread.sleep(forTimeInterval: 1)
        }
        let flowing = socket.receive(for: 0.6)
        // Stall: keep the pipe open but send nothing; after the watchdog interval, no pings.
        Thread.sleep(forTimeInterval: 1.5)
        let stalled = socket.receive(for: 2)
        try daemon.input.fileHandleForWriting.close()
        #expect(daemon.wait(timeout: 60) == 0, "\(daemon.log)")
        let ending = socket.receive(for: 0.5)
        let early = socket.history
        #expect(early.contains("READY=1"))
        #expect(early.contains { $0.hasPrefix("STATUS=") && $0.contains("windows/s") })
        #expect(early.contains("WATCHDOG=1") || flowing.contains("WATCHDOG=1"))
        #expect(!stalled.contains("WATCHDOG=1"), "watchdog pinged while the source was stalled: \(stalled)")
        #expect((stalled + ending).contains("STOPPING=1"))
    }
}
