import AudioIO
import DaemonTestSupport
import Foundation
import Logging
import Testing

@testable import Daemon

/// What wamd may and may not do to files: only its own are counted and deleted, nothing is
/// consumed without its results, leftovers of interrupted runs are cleaned.
@Suite(.serialized) struct DataSafetyTests {
    static let sixtyDaysAgo = Date().addingTimeInterval(-60 * 86400)

    static func write(_ text: String, to url: URL, modified: Date = sixtyDaysAgo) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: url.path)
    }

    /// Nine old files a user might keep in a folder later named as wamd's output, some with
    /// names like wamd's but in places wamd never writes.
    static func userFiles(in root: URL) throws -> [URL] {
        let files = [
            "notes.txt", "photos/holiday.jpg", "recordings/2026-01-01/interview.wav",
            "file-stream-40s.wav/2026-01-01/my-notes.json", "file-stream-40s.wav/not-a-day/120000.000_yes_0.93.json",
            "120000.000_yes_0.93.json", "file-stream-40s.wav/2026-01-01/120000.000_yes_0.93.json.bak",
            "Music/2026-01-01/090000.000_drums_0.90.json", "notes/2026-01-01/120000.000_piano_0.50.wav",
        ].map { root.appendingPathComponent($0) }
        for file in files { try write("mine", to: file) }
        return files
    }

    @Test("the disk budget deletes only the explanations and logs wamd wrote, never a user's files, and never follows links")
    func budgetTouchesOnlyItsOwn() async throws {
        let scratch = try Scratch()
        let root = scratch.path("out")
        let mine = try Self.userFiles(in: root)
        let day = root.appendingPathComponent("file-stream-40s.wav/2026-01-01")
        let own = ["120000.000_yes_0.93.json", "120000.000_yes_0.93.wav", "120000.000_yes_0.93_input.wav", "windows.jsonl"]
            .map { day.appendingPathComponent($0) }
        for file in own { try Self.write("wamd", to: file) }
        // A link in a day folder, named like an explanation, pointing at a user's file elsewhere.
        let outside = scratch.path("precious.json")
        try Self.write("precious", to: outside)
        try FileManager.default.createSymbolicLink(at: day.appendingPathComponent("120001.000_no_0.50.json"), withDestinationURL: outside)
        let budget = DiskBudget(root: root, maxBytes: 1, maxAge: 86400, keepNewestPerClass: 0)
        #expect(budget.scan().count == 2, "one explanation and one log")
        let result = budget.enforce()
        #expect(result.files == 4)
        for file in own { #expect(!FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent) kept") }
        for file in mine + [outside] { #expect(FileManager.default.fileExists(atPath: file.path), "\(file.path) deleted") }
    }

    @Test("wamd with --out on a folder of old user files deletes none of them (default settings)")
    func existingFolder() async throws {
        let scratch = try Scratch()
        let mine = try Self.userFiles(in: scratch.url)
        let daemon = try DaemonProcess(["file:" + DaemonProcess.stream.path] + DaemonEndToEndTests.arguments(out: scratch.url))
        #expect(await daemon.exit(timeout: 120) == 0, "\(daemon.log)")
        for file in mine { #expect(FileManager.default.fileExists(atPath: file.path), "\(file.path) deleted") }
        #expect(!OutputFolder(root: scratch.url).documents.isEmpty)
    }

    @Test("through a symlinked output folder (as DynamicUser makes /var/lib/wamd) the budget holds and output bytes are counted")
    func symlinkedOutput() async throws {
        let scratch = try Scratch()
        let real = scratch.path("private/wamd"), link = scratch.path("wamd")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        let limit = 150_000
        let daemon = try DaemonProcess(
            ["file:" + DaemonProcess.stream.path]
                + DaemonEndToEndTests.arguments(
                    out: link,
                    [
                        "--set", "gates.min_probability=0", "--set", "output.max_bytes=\(limit)", "--set", "output.keep_newest_per_class=0",
                    ]))
        #expect(await daemon.exit(timeout: 120) == 0, "\(daemon.log)")
        let explanationBytes = OutputFolder(root: real).files.filter { $0.lastPathComponent != "windows.jsonl" }
            .reduce(0) { $0 + ((try? $1.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) }
        #expect(explanationBytes <= limit, "\(explanationBytes) bytes kept under a \(limit)-byte budget")
        #expect(daemon.log.contains("disk budget enforced"))
    }

    @Test("temporary files of interrupted writes and unfinished uploads are removed and counted at start; other hidden files stay")
    func leftovers() async throws {
        let scratch = try Scratch()
        let root = scratch.path("out")
        let day = root.appendingPathComponent("stdin/2026-01-01")
        let stale = [
            day.appendingPathComponent(".120000.000_yes_0.93.json.\(UUID().uuidString).tmp"),
            day.appendingPathComponent(".windows.jsonl.\(UUID().uuidString).tmp"),
            root.appendingPathComponent(".uploads/\(UUID().uuidString)/body"),
        ]
        let kept = [
            day.appendingPathComponent(".keep"), day.appendingPathComponent(".notes.\(UUID().uuidString).tmp"),
            root.appendingPathComponent(".hidden/.x.\(UUID().uuidString).tmp"),
        ]
        for file in stale + kept { try Self.write("x", to: file, modified: Date()) }
        var configuration = DaemonConfiguration()
        (configuration.input, configuration.modelPath, configuration.outputDirectory) = ("-", DaemonProcess.model, root.path)
        let daemon = try AttributionDaemon(
            configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            notifier: QuietNotifier())
        let run = Task { try await daemon.run() }
        defer { run.cancel(); daemon.requestStop() }
        for _ in 0..<300 where daemon.metrics.snapshot.staleFilesRemoved < 3 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(daemon.metrics.snapshot.staleFilesRemoved == 3)
        for file in stale { #expect(!FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent) left") }
        for file in kept { #expect(FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent) removed") }
    }

    @Test("a spool file is not consumed while writes are paused: it waits in the spool, and is explained once space is back")
    func spoolWaitsForSpace() async throws {
        let scratch = try Scratch()
        let spool = scratch.path("spool"), out = scratch.path("out"), config = scratch.path("wamd.toml")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        func write(floor: Int) throws {
            try """
            [source]
            input = "spool:\(spool.path)"
            [model]
            path = "\(DaemonProcess.model)"
            [explain]
            method = "gradient"
            [gates]
            min_probability = 0.6
            max_per_class_per_minute = 0
            [output]
            dir = "\(out.path)"
            min_free_bytes = \(floor)
            check_interval = 0.2
            """.write(to: config, atomically: true, encoding: .utf8)
        }
        try write(floor: Int.max / 2)
        let daemon = try DaemonProcess(["--config", config.path])
        defer { daemon.signal(SIGKILL) }
        #expect(await DaemonProcess.waitUntil(timeout: 60) { daemon.log.contains("pausing writes") })
        try FileManager.default.copyItem(at: DaemonProcess.stream, to: scratch.path(".stream.wav"))
        try FileManager.default.moveItem(at: scratch.path(".stream.wav"), to: spool.appendingPathComponent("stream.wav"))
        try await Task.sleep(for: .seconds(3))
        #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("stream.wav").path), "taken while paused")
        #expect(!FileManager.default.fileExists(atPath: spool.appendingPathComponent("done/stream.wav").path))
        try write(floor: 0)
        daemon.signal(SIGHUP)
        #expect(
            await DaemonProcess.waitUntil(timeout: 120) {
                FileManager.default.fileExists(atPath: spool.appendingPathComponent("done/stream.wav").path)
            })
        let output = OutputFolder(root: out)
        #expect(output.logLines.count == 40)
        #expect(!output.documents.isEmpty)
        daemon.signal(SIGTERM)
        #expect(await daemon.exit(timeout: 60) == 0)
    }

    @Test("a spool file stopped mid-way stays in processing/ and is read again, completely, at the next start")
    func spoolInterrupted() async throws {
        let scratch = try Scratch()
        let spool = scratch.path("spool"), out = scratch.path("out")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        // Every window explained, slowly, so that the stop comes mid-file on any machine.
        let arguments =
            ["spool:\(spool.path)"]
            + DaemonEndToEndTests.arguments(
                out: out,
                [
                    "--set", "explain.method=\"intgrad\"", "--set", "explain.steps=256", "--set", "explain.on_stop=\"drop\"",
                    "--set", "gates.min_probability=0", "--set", "gates.min_dbfs=-200",
                ])
        let first = try DaemonProcess(arguments)
        #expect(await DaemonProcess.waitUntil(timeout: 60) { first.log.contains("ready") })
        try FileManager.default.copyItem(at: DaemonProcess.stream, to: scratch.path(".stream.wav"))
        try FileManager.default.moveItem(at: scratch.path(".stream.wav"), to: spool.appendingPathComponent("stream.wav"))
        #expect(await DaemonProcess.waitUntil(timeout: 60) { first.log.contains("explained") })
        first.signal(SIGTERM)
        // on_stop = "drop": the queued explanations are dropped at once, not written first.
        #expect(await first.exit(timeout: 60) == 0, "\(first.log)")
        #expect(!first.log.contains("dropped=0 "), "\(first.log)")
        #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("processing/stream.wav").path))
        #expect(!FileManager.default.fileExists(atPath: spool.appendingPathComponent("done/stream.wav").path))
        let second = try DaemonProcess(["spool:\(spool.path)"] + DaemonEndToEndTests.arguments(out: out))
        defer { second.signal(SIGKILL) }
        #expect(await DaemonProcess.waitUntil(timeout: 60) { second.log.contains("ready") }, "\(second.log)")
        #expect(
            await DaemonProcess.waitUntil(timeout: 120) {
                FileManager.default.fileExists(atPath: spool.appendingPathComponent("done/stream.wav").path)
            })
        second.signal(SIGTERM)
        #expect(await second.exit(timeout: 60) == 0)
    }

    @Test("on_stop = \"finish\" is bounded by stop_timeout: a stop mid-file does not wait for the file's whole queue")
    func finishIsBounded() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(
            ["file:" + DaemonProcess.stream.path]
                + DaemonEndToEndTests.arguments(
                    out: scratch.url,
                    [
                        "--set", "explain.method=\"intgrad\"", "--set", "explain.steps=256", "--set", "explain.stop_timeout=1",
                        "--set", "gates.min_probability=0", "--set", "gates.min_dbfs=-200",
                    ]))
        #expect(await DaemonProcess.waitUntil(timeout: 60) { daemon.log.contains("explained") })
        let stopped = Date()
        daemon.signal(SIGTERM)
        #expect(await daemon.exit(timeout: 60) == 0, "\(daemon.log)")
        // At most the explanation in progress (seconds each) past the timeout; the queue held eight.
        #expect(Date().timeIntervalSince(stopped) < 40)
        #expect(daemon.log.contains("stop timeout: dropped the queued explanations"), "\(daemon.log)")
    }

    @Test("standard input is live: a writer faster than the explanations is never held up; explanations are dropped, counted")
    func standardInputIsLive() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(
            ["-", "--format", "s16le", "--rate", "16000"]
                + DaemonEndToEndTests.arguments(
                    out: scratch.url,
                    [
                        "--set", "explain.method=\"intgrad\"", "--set", "explain.steps=256", "--set", "explain.queue=1",
                        "--set", "gates.min_probability=0", "--set", "explain.on_stop=\"drop\"",
                    ]))
        let raw = try rawStream()
        let started = Date()
        daemon.input.fileHandleForWriting.write(raw)
        let writing = Date().timeIntervalSince(started)
        try daemon.input.fileHandleForWriting.close()
        #expect(await daemon.exit(timeout: 300) == 0, "\(daemon.log)")
        #expect(writing < 10, "the writer waited \(writing) s for 40 s of audio")
        #expect(daemon.log.contains("dropped="))
        #expect(!daemon.log.contains("dropped=0 "))
    }

    @Test("with source.backpressure standard input is read like a file: every window explained, none dropped")
    func standardInputWithBackpressure() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(
            ["-", "--format", "s16le", "--rate", "16000"]
                + DaemonEndToEndTests.arguments(
                    out: scratch.url,
                    [
                        "--set", "source.backpressure=true", "--set", "explain.queue=1", "--set", "gates.min_probability=0", "--set",
                        "gates.min_dbfs=-200",
                    ]))
        daemon.input.fileHandleForWriting.write(try rawStream().prefix(16000 * 2 * 8))
        try daemon.input.fileHandleForWriting.close()
        #expect(await daemon.exit(timeout: 120) == 0, "\(daemon.log)")
        #expect(OutputFolder(root: scratch.url).documents.count == 8)
        #expect(daemon.log.contains("dropped=0 "))
    }

    @Test("file: sources that cannot be read, or hold no audio, exit non-zero with the reason; spool moves them to failed/")
    func unreadableFiles() async throws {
        let scratch = try Scratch()
        let empty = scratch.path("empty.wav")
        try AudioFile.writeWAV([], sampleRate: 16000, to: empty)
        for (input, reason) in [("file:" + scratch.path("missing.wav").path, "no such file"), ("file:" + empty.path, "no audio frames")] {
            let daemon = try DaemonProcess([input] + DaemonEndToEndTests.arguments(out: scratch.path("out")))
            #expect(await daemon.exit(timeout: 60) == 1, "\(input)")
            #expect(daemon.log.contains(reason), "\(daemon.log)")
        }
        let spool = scratch.path("spool")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: empty, to: spool.appendingPathComponent("empty.wav"))
        let daemon = try DaemonProcess(["spool:\(spool.path)"] + DaemonEndToEndTests.arguments(out: scratch.path("out")))
        defer { daemon.signal(SIGKILL) }
        #expect(
            await DaemonProcess.waitUntil(timeout: 60) {
                FileManager.default.fileExists(atPath: spool.appendingPathComponent("failed/empty.wav").path)
            })
        #expect(daemon.log.contains("holds no audio frames"))
    }

    @Test("file windows are stamped from the recording's start: its modification time minus its length")
    func timestamps() async throws {
        let scratch = try Scratch()
        let file = scratch.path("stream.wav")
        try FileManager.default.copyItem(at: DaemonProcess.stream, to: file)
        let ended = Date(timeIntervalSince1970: 1_780_000_000)
        try FileManager.default.setAttributes([.modificationDate: ended], ofItemAtPath: file.path)
        let daemon = try DaemonProcess(["file:" + file.path] + DaemonEndToEndTests.arguments(out: scratch.path("out")))
        #expect(await daemon.exit(timeout: 120) == 0)
        let lines = OutputFolder(root: scratch.path("out")).logLines
        let formatter = ISO8601DateFormatter()
        let first = try #require((lines.first?["time"] as? String).flatMap { formatter.date(from: $0) })
        let last = try #require((lines.last?["time"] as? String).flatMap { formatter.date(from: $0) })
        #expect(first == ended.addingTimeInterval(-40))
        #expect(last == ended.addingTimeInterval(-1))
    }
}

/// A service manager that hears nothing.
struct QuietNotifier: ServiceNotifier {
    func notify(_ state: String) {}
    var watchdogInterval: TimeInterval? { nil }
}
