import DaemonTestSupport
import Foundation
import Testing

/// Options and inputs that must be refused with one clear line and a non-zero exit, never a
/// crash, a hang or an unbounded allocation.
@Suite struct InputValidationTests {
    @Test(
        "numeric options out of range are refused before any work",
        arguments: [
            (["--rate", "inf"], "--rate inf: expected a number in 1000.0...384000.0"),
            (["--rate", "nan"], "--rate nan"),
            (["--rate", "1e9"], "--rate 1000000000.0"),
            (["--rate", "0"], "--rate 0.0"),
            (["--spread", "nan"], "--spread nan"),
            (["--spread=-1"], "--spread -1.0"),
            (["--samples", "0"], "--samples 0"),
            (["--levels", "0"], "--levels 0"),
            (["--hop", "0"], "--hop 0"),
            (["--steps", "0"], "--steps 0: expected a number in 1...100000 or `auto`"),
            (["--steps", "99999999999"], "--steps 99999999999"),
            (["--threshold", "nan"], "--threshold nan"),
            (["--keep", "nan"], "--keep nan is outside (0, 1]"),
            (["--tolerance", "0"], "--tolerance 0.0"),
            (["--max-steps=-3"], "--max-steps -3"),
            (["--threads", "0"], "--threads 0"),
            (["--max-batch", "100000"], "--max-batch 100000"),
            (["--width", "0"], "--width 0"),
        ])
    func numericOptions(_ options: [String], _ message: String) throws {
        let folder = try TemporaryFolder()
        let result = try WamProcess.run(["explain", ExplainCommandTests.sample("audio/piano.wav")] + options + ["--out", folder.path("out")])
        #expect(result.status != 0)
        #expect(result.error.contains(message), "stderr was: \(result.error)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out")))
    }

    @Test(
        "the numeric options of eval and model run are range-checked too",
        arguments: [
            (["eval", "--data", "DATA", "--rate", "nan"], "--rate nan"), (["eval", "--data", "DATA", "--limit", "0"], "--limit 0"),
            (["eval", "--data", "DATA", "--denoise", "inf"], "--denoise inf"),
            (["eval", "--data", "DATA", "--insertion-steps", "0"], "--insertion-steps 0"),
            (["model", "run", "MODEL", "DATA", "--threads", "0", "--out", "x.npz"], "--threads 0"),
        ])
    func otherCommands(_ arguments: [String], _ message: String) throws {
        let substitutions = ["DATA": ExplainCommandTests.sample("audio/eval"), "MODEL": ExplainCommandTests.sample("models/audio-resnet.onnx")]
        let result = try WamProcess.run(arguments.map { substitutions[$0] ?? $0 })
        #expect(result.status != 0)
        #expect(result.error.contains(message), "stderr was: \(result.error)")
    }

    @Test("explain: --threshold with another --rank is refused, and a --keep that keeps no coefficient is an error, not an empty interpretation")
    func interpretationOptions() throws {
        let piano = ExplainCommandTests.sample("audio/piano.wav")
        let folder = try TemporaryFolder()
        let both = try WamProcess.run(["explain", piano, "--threshold", "0.2", "--rank", "signed", "--out", folder.path("a")])
        #expect(both.status != 0 && both.error.contains("--threshold keeps |a| above a share of each level's peak; --rank signed"))
        let tiny = try WamProcess.run(["explain", piano, "--method", "gradient", "--keep", "0.00001", "--out", folder.path("b")])
        #expect(tiny.status != 0 && tiny.error.contains("keeping at least one of the"), "\(tiny.error)")
    }

    @Test(
        "wam-bench (built with the package) range-checks its numeric options before any work",
        arguments: [
            (["wavelets", "--repeats", "0"], "--repeats 0"), (["attribution", "--max-batch", "0"], "--max-batch 0"),
            (["engine", "--runs", "0"], "--runs 0"), (["engine", "--threads", "65"], "--threads 65"),
            (["integration", "--tolerance", "nan"], "--tolerance nan"),
        ])
    func benchmarkOptions(_ arguments: [String], _ message: String) throws {
        let result = try WamProcess.run(arguments, program: "wam-bench")
        #expect(result.status != 0)
        #expect(result.error.contains(message), "stderr was: \(result.error)")
    }

    @Test("wam eval refuses an empty method list, labels the model does not have, and a CSV that is not UTF-8, naming each")
    func evalInputs() throws {
        let folder = try TemporaryFolder()
        let piano = ExplainCommandTests.sample("audio/piano.wav")
        let unknown = folder.path("unknown.csv"), binary = folder.path("binary.csv")
        try Data("path,label\n\(piano),notaclass\n".utf8).write(to: URL(fileURLWithPath: unknown))
        try Data([0xFF, 0xFE, 0x2C, 0x2C, 0x0A]).write(to: URL(fileURLWithPath: binary))
        let cases: [([String], String)] = [
            (["--data", ExplainCommandTests.sample("audio/eval"), "--methods", ","], "--methods: no value given"),
            (["--data", ExplainCommandTests.sample("audio/eval"), "--metrics", "insertion,nope"], "--metrics: unknown value 'nope'"),
            (["--data", unknown], "the label 'notaclass' of piano.wav is not a class of the model"),
            (["--data", binary], "binary.csv: is not UTF-8 text"),
        ]
        for (arguments, message) in cases {
            let result = try WamProcess.run(["eval"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.error.contains(message), "stderr was: \(result.error)")
        }
    }

    @Test("clear messages: a folder as input, an uncreatable output folder, a model with a dynamic time axis")
    func messages() throws {
        let folder = try TemporaryFolder()
        let directory = try WamProcess.run(["explain", folder.path(""), "--out", folder.path("out")])
        #expect(directory.status != 0 && directory.error.contains("is a folder"), "\(directory.error)")

        let piano = ExplainCommandTests.sample("audio/piano.wav")
        try Data("a file".utf8).write(to: URL(fileURLWithPath: folder.path("blocker")))
        let uncreatable = try WamProcess.run(["explain", piano, "--method", "gradient", "--out", folder.path("blocker/out")])
        #expect(uncreatable.status != 0)
        #expect(uncreatable.error.contains("cannot create the output folder (Not a directory)"), "\(uncreatable.error)")
        #expect(!uncreatable.error.contains("NSCocoaErrorDomain"))

        let dynamic = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ONNXTests/Fixtures/malformed/dynamic_length.onnx").path
        let unresolved = try WamProcess.run(["explain", piano, "--model", dynamic, "--out", folder.path("out")])
        #expect(unresolved.status != 0 && unresolved.error.contains("--input-shape 1 16000"), "\(unresolved.error)")
        let resolved = try WamProcess.run(["explain", piano, "--model", dynamic, "--input-shape", "1", "16000", "--out", folder.path("out")])
        #expect(!resolved.error.contains("is dynamic"), "\(resolved.error)")
    }

    @Test("a recording of extreme but finite samples: a clear error naming the window, no crash, nothing written")
    func extremeSamples() throws {
        let folder = try TemporaryFolder()
        try WAVBytes.float32([Float](repeating: 3e38, count: 16000), channels: 1, rate: 16000)
            .write(to: URL(fileURLWithPath: folder.path("loud.wav")))
        let result = try WamProcess.run(["explain", folder.path("loud.wav"), "--out", folder.path("out")])
        #expect(result.status == 1, "\(result.error)")
        #expect(result.error.contains("window 0: the model's outputs are not finite"), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out/loud.json")))
    }

    @Test("a recording whose windows are partly unexplainable: the others are written, the bad ones listed, exit non-zero")
    func partlyInvalid() throws {
        let folder = try TemporaryFolder()
        var samples = (0..<48000).map { Float(0.3 * sin(Double($0) / 7)) }
        samples[20000] = .infinity
        try WAVBytes.float32(samples, channels: 1, rate: 16000).write(to: URL(fileURLWithPath: folder.path("partly.wav")))
        let result = try WamProcess.run(["explain", folder.path("partly.wav"), "--method", "gradient", "--no-picture", "--out", folder.path("out")])
        #expect(result.status != 0)
        #expect(result.error.contains("window 1 (sample 16000): sample 20000 is inf"), "\(result.error)")
        let summary = try ExplainCommandTests.json(folder.path("out/summary.json"))
        #expect((summary["windows"] as? [[String: Any]])?.map { $0["index"] as? Int } == [0, 2])
        #expect((summary["skipped"] as? [[String: Any]])?.first?["index"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: folder.path("out/partly-w002.json")))
    }
}
