import ArrayIO
import AudioIO
import DaemonTestSupport
import Foundation
import Testing

@Suite struct ExplainCommandTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples")

    static func sample(_ path: String) -> String { samples.appendingPathComponent(path).path }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    @Test("a clip with the bundled model: prediction and profile printed, JSON, interpretation WAV and PNG written")
    func audio() throws {
        let folder = try TemporaryFolder()
        let result = try WamProcess.run(["explain", Self.sample("audio/piano.wav"), "--steps", "8", "--out", folder.path("out")])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("predicted piano"))
        #expect(result.output.contains("D1       4000-8000   Hz"))
        let document = try Self.json(folder.path("out/piano.json"))
        #expect(document["schema_version"] as? Int == 1)
        #expect((document["target"] as? [String: Any])?["label"] as? String == "piano")
        let wav = try AudioFile.read(URL(fileURLWithPath: folder.path("out/piano.wav")))
        #expect(wav.sampleRate == 16000 && wav.frames == 16000 && wav.channels == 1)
        let png = try Data(contentsOf: URL(fileURLWithPath: folder.path("out/piano.png")))
        #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        #expect(FileManager.default.fileExists(atPath: folder.path("out/summary.json")))
    }

    @Test("--jobs 3 writes what --jobs 1 writes, for a stateful model too (its state carried in order)", arguments: [false, true])
    func jobsDoNotChangeTheFiles(stateful: Bool) throws {
        let folder = try TemporaryFolder()
        let model =
            stateful
            ? ["--model", Self.sample("models/silero-vad/silero_vad.onnx"), "--input", "sr=16000", "--state", "state=stateN", "--input-shape", "576"]
            : []
        var outputs: [[String: Data]] = []
        for jobs in [1, 3] {
            let out = folder.path("out-\(jobs)")
            let result = try WamProcess.run(
                ["explain", Self.sample(stateful ? "audio/stop.wav" : "audio/stream-40s.wav"), "--method", "gradient", "--levels", "3"] + model
                    + ["--jobs", "\(jobs)", "--out", out])
            #expect(result.status == 0, "\(result.error)")
            outputs.append(try BatchCommandTests.contents(of: out))
        }
        #expect(outputs[0].count > 20 && outputs[0] == outputs[1])
    }

    @Test("a long recording is cut into windows; attributions are saved per band with a window axis")
    func longInput() throws {
        let folder = try TemporaryFolder()
        let result = try WamProcess.run([
            "explain", Self.sample("audio/stream-40s.wav"), "--method", "gradient", "--levels", "4",
            "--no-picture", "--attributions", folder.path("a.npz"), "--out", folder.path("out"),
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("(JSON, interpretation WAV; summary.json)"), "--no-picture, yet: \(result.output)")
        let summary = try Self.json(folder.path("out/summary.json"))
        let windows = try #require(summary["windows"] as? [[String: Any]])
        #expect(windows.count == 40)
        #expect(windows[39]["start_seconds"] as? Double == 39)
        let bands = try NpzArchive.read(URL(fileURLWithPath: folder.path("a.npz")))
        #expect(bands.map(\.key) == ["cA4", "cD4", "cD3", "cD2", "cD1"])
        #expect(bands[0].array.shape == [40, 1, 1006])
        #expect(bands[4].array.shape == [40, 1, 8003])
        #expect(FileManager.default.fileExists(atPath: folder.path("out/stream-40s-w039.wav")))
    }

    /// Peak resident memory (kB) of `wam` run with `arguments`, by GNU time.
    static func peakMemory(_ arguments: [String]) throws -> Int {
        let result = try WamProcess.run(arguments, through: ["/usr/bin/time", "-f", "peak-kb %M"])
        #expect(result.status == 0, "\(result.error)")
        let line = try #require(result.error.split(separator: "\n").last { $0.hasPrefix("peak-kb ") })
        return try #require(Int(line.dropFirst(8)))
    }

    @Test("memory does not grow with the recording: 10 minutes explained in the memory of 2")
    func longRecordingMemory() throws {
        let folder = try TemporaryFolder()
        let stream = try AudioFile.read(Self.samples.appendingPathComponent("audio/stream-40s.wav"))
        for minutes in [2, 10] {
            let samples = Array((0..<(minutes * 3 / 2)).map { _ in stream.samples }.joined())
            try AudioFile.writeWAV(samples, sampleRate: 16000, to: URL(fileURLWithPath: folder.path("long-\(minutes).wav")))
        }
        let arguments = { (minutes: Int) in
            [
                "explain", folder.path("long-\(minutes).wav"), "--method", "gradient", "--levels", "4", "--hop", "64000", "--no-picture",
                "--out", folder.path("out-\(minutes)"),
            ]
        }
        let short = try Self.peakMemory(arguments(2)), long = try Self.peakMemory(arguments(10))
        #expect(long - short < 15_000, "2 min: \(short / 1000) MB, 10 min: \(long / 1000) MB")
        let summary = try Self.json(folder.path("out-10/summary.json"))
        #expect((summary["windows"] as? [Any])?.count == 150)
    }

    @Test("resampled, stereo input of another rate is explained at the model's rate")
    func foreignFormat() throws {
        let folder = try TemporaryFolder()
        let tone = (0..<22050).flatMap { i -> [Float] in
            let value = Float(0.4 * sin(2 * Double.pi * 440 * Double(i) / 22050))
            return [value, -value * 0.5]
        }
        // libsndfile writes the stereo file through the AudioIO writer's mono API twice is not
        // possible, so write a stereo float WAV by hand.
        try WAVBytes.float32(tone, channels: 2, rate: 22050).write(to: URL(fileURLWithPath: folder.path("tone.wav")))
        let result = try WamProcess.run(["explain", folder.path("tone.wav"), "--method", "gradient", "--out", folder.path("out")])
        #expect(result.status == 0, "\(result.error)")
        let input = try #require(try Self.json(folder.path("out/tone.json"))["input"] as? [String: Any])
        #expect(input["file_sample_rate"] as? Double == 22050)
        #expect(input["file_channels"] as? Int == 2)
        #expect(input["window_length"] as? Int == 16000)
    }

    @Test("images and volumes go through the same command with their models")
    func imagesAndVolumes() throws {
        let folder = try TemporaryFolder()
        let image = try WamProcess.run([
            "explain", Self.sample("images/digit-3.png"), "--model", Self.sample("models/digits-cnn.onnx"),
            "--method", "smoothgrad", "--samples", "4", "--out", folder.path("img"),
        ])
        #expect(image.status == 0, "\(image.error)")
        #expect(image.output.contains("predicted 3"))
        let document = try Self.json(folder.path("img/digit-3.json"))
        #expect((document["input"] as? [String: Any])?["kind"] as? String == "image")
        let volume = try WamProcess.run([
            "explain", Self.sample("volumes/cone.npy"), "--model", Self.sample("models/shapes3d-cnn.onnx"),
            "--method", "gradient", "--out", folder.path("vol"),
        ])
        #expect(volume.status == 0, "\(volume.error)")
        #expect(volume.output.contains("predicted cone"))
    }

    @Test(
        "bad inputs fail with one clear line and write nothing",
        arguments: [
            (["NOTAUDIO"], "not a readable audio file"),
            (["PIANO", "--target", "banjo"], "unknown class 'banjo'"),
            (["PIANO", "--target", "12"], "class index 12 is out of range; expected 0...11"),
            (["PIANO", "--keep", "1.5"], "--keep 1.5 is outside (0, 1]"),
            (["PIANO", "--steps", "many"], "--steps many: expected"),
            (["NAN"], "NaN or infinity"),
            (["DIGIT"], "a PNG needs an image model"),
            (["PIANO", "--model", "MISSING"], "no such model file"),
        ])
    func badInputs(arguments: [String], message: String) throws {
        let folder = try TemporaryFolder()
        try Data("plain text".utf8).write(to: URL(fileURLWithPath: folder.path("notes.wav")))
        var nan = (0..<16000).map { Float(sin(Double($0) / 10)) }
        nan[100] = .nan
        try WAVBytes.float32(nan, channels: 1, rate: 16000).write(to: URL(fileURLWithPath: folder.path("nan.wav")))
        let substitutions = [
            "NOTAUDIO": folder.path("notes.wav"), "PIANO": Self.sample("audio/piano.wav"), "NAN": folder.path("nan.wav"),
            "DIGIT": Self.sample("images/digit-3.png"), "MISSING": folder.path("missing.onnx"),
        ]
        let result = try WamProcess.run(["explain"] + arguments.map { substitutions[$0] ?? $0 } + ["--out", folder.path("out")])
        #expect(result.status != 0)
        #expect(result.error.contains(message), "stderr was: \(result.error)")
        #expect(!result.error.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("out/piano.json")))
    }
}

@Suite struct EvalCommandTests {
    static func json(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("eval prints a table per method and order, the references marked, and writes JSON and CSV with the reference and order fields")
    func table() throws {
        let folder = try TemporaryFolder()
        let result = try WamProcess.run([
            "eval", "--data", ExplainCommandTests.sample("audio/eval"), "--limit", "2",
            "--methods", "wam-gradient,saliency,magnitude,random", "--metrics", "insertion,deletion,faithfulness,fidin",
            "--order", "magnitude,signed", "--insertion-steps", "4", "--out", folder.path("eval"),
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("2 inputs from"))
        #expect(result.output.contains("magnitude (ref)") && result.output.contains("random (ref)"))
        let csv = try String(contentsOfFile: folder.path("eval/eval-table.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "method,reference,order,insertion,deletion,faithfulness,fidin")
        // A row per method and order, in the order the methods were asked for.
        #expect(
            csv.dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") } == [
                "wam-gradient,false,magnitude", "wam-gradient,false,signed", "saliency,false,magnitude", "saliency,false,signed",
                "magnitude,true,magnitude", "magnitude,true,signed", "random,true,magnitude", "random,true,signed",
            ])
        let scores = try #require(try Self.json(folder.path("eval/eval-scores.json")) as? [[String: Any]])
        #expect(scores.count == 2 * 8)
        #expect(Set(scores.compactMap { $0["order"] as? String }) == ["magnitude", "signed"])
        #expect(
            scores.filter { $0["reference"] as? Bool == true }.map { $0["method"] as? String }.allSatisfy { ["magnitude", "random"].contains($0) })
        // Non-negative attributions rank alike in both orders.
        let magnitudeRows = scores.filter { $0["method"] as? String == "magnitude" }.compactMap { $0["values"] as? [String: Double] }
        #expect(magnitudeRows.count == 4 && magnitudeRows[0] == magnitudeRows[1] && magnitudeRows[2] == magnitudeRows[3])
        let unknown = try WamProcess.run(["eval", "--data", ExplainCommandTests.sample("audio/eval"), "--methods", "magic"])
        #expect(unknown.status != 0 && unknown.error.contains("--methods: unknown value 'magic'; expected wam-gradient"))
        let order = try WamProcess.run(["eval", "--data", ExplainCommandTests.sample("audio/eval"), "--order", "upside-down"])
        #expect(order.status != 0 && order.error.contains("--order: unknown value 'upside-down'; expected auto, magnitude or signed"))
    }

    @Test("--denoise end to end: the model-free references first, block thresholding among them, and the clips as JSON")
    func denoise() throws {
        let folder = try TemporaryFolder()
        let result = try WamProcess.run([
            "eval", "--data", ExplainCommandTests.sample("audio/eval"), "--limit", "4", "--denoise", "0",
            "--methods", "wam-gradient,magnitude", "--out", folder.path("d"),
        ])
        #expect(result.status == 0, "\(result.error)")
        let names = result.output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(
            names.prefix(5).map { String($0.prefix { $0 != ")" }) + ")" } == [
                "oracle |z clean| (ref)", "block thresholding 17 (ref)", "block thresholding 9 (ref)", "block thresholding 5 (ref)",
                "thresholding |z| (ref)",
            ])
        #expect(result.output.contains("Chosen on 2 development clips, measured on 2 held-out clips: wam-gradient"))
        let clips = try #require(try Self.json(folder.path("d/denoise-0.0dB.json")) as? [[String: Any]])
        #expect(clips.count == 4)
        for clip in clips {
            let rows = try #require(clip["rows"] as? [String: [String: Double]])
            // The reference "magnitude" is not an explanation: no estimator is guided by it.
            #expect(!rows.keys.contains { $0.hasPrefix("magnitude") })
            // The oracle keeps the clean signal's own largest coefficients: nothing beats it at 5 %.
            let oracle = try #require(rows["oracle |z clean|"]?["0.05"])
            for (name, row) in rows where !name.hasPrefix("oracle") {
                if let value = row["0.05"] { #expect(value <= oracle + 1e-9, "\(name)") }
            }
            #expect((clip["noisy"] as? Double).map { abs($0) < 0.5 } == true)
        }
    }

    @Test("--separate end to end: each class of a mixture extracted, model-free estimators scored against both sources")
    func separate() throws {
        let folder = try TemporaryFolder()
        let list = folder.path("pair.csv")
        try "\(ExplainCommandTests.sample("audio/eval/yes/yes-1.wav")),yes\n\(ExplainCommandTests.sample("audio/eval/piano/piano-1.wav")),piano\n"
            .write(toFile: list, atomically: true, encoding: .utf8)
        let result = try WamProcess.run([
            "eval", "--data", list, "--separate", "yes:piano", "--methods", "wam-gradient", "--out", folder.path("s"),
        ])
        #expect(result.status == 0, "\(result.error)")
        let rows = try #require(try Self.json(folder.path("s/separate.json")) as? [[String: Any]])
        #expect(rows.compactMap { $0["file"] as? String }.map { $0.hasSuffix(": yes") || $0.hasSuffix(": piano") } == [true, true])
        let tables = rows.compactMap { $0["rows"] as? [String: [String: Double]] }
        // The same model-free output scored against two different sources gives two different numbers;
        // the guided rows differ because the explanations differ.
        #expect(tables[0]["block thresholding 17"] != tables[1]["block thresholding 17"])
        #expect(tables[0]["wam-gradient |a z| smoothed 17"] != nil)
        for (text, message) in [
            ("yes", "expected two comma-separated class lists"), ("yes:kazoo", "unknown class \"kazoo\""),
            ("yes:yes", "class \"yes\" is in both groups"),
        ] {
            let bad = try WamProcess.run(["eval", "--data", list, "--separate", text])
            #expect(bad.status != 0 && bad.error.contains(message), "\(bad.error)")
        }
    }

    @Test("conflicting or ignored eval options are refused before any work, naming them")
    func conflictingOptions() throws {
        let data = ExplainCommandTests.sample("audio/eval")
        for (arguments, message) in [
            (["--denoise", "0", "--separate", "yes:piano"], "--denoise and --separate are different experiments"),
            (["--sanity", "--denoise", "0"], "--sanity and --denoise are different experiments"),
            (["--denoise", "0", "--order", "signed"], "--order ranks the features of the faithfulness metrics; --denoise does not use it"),
            (["--separate", "yes:piano", "--methods", "random,magnitude"], "need at least one WAM method"),
            (["--denoise", "0", "--methods", "saliency"], "need at least one WAM method"),
            (["--separate", "yes:piano", "--out", "/dev/null/x"], "/dev/null/x"),
        ] {
            let result = try WamProcess.run(["eval", "--data", data] + arguments)
            #expect(result.status != 0 && result.error.contains(message), "\(arguments): \(result.error)")
            #expect(!result.output.contains("Separation") && !result.output.contains("Denoising"))
        }
    }

    @Test("a silent clip is refused by --denoise naming the file (was: -inf and NaN in every cell)")
    func silentClipInDenoise() throws {
        let folder = try TemporaryFolder()
        // 1 s of 16 kHz, 16-bit mono silence.
        var wav = Data("RIFF".utf8)
        func le<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { wav.append(contentsOf: $0) } }
        le(UInt32(36 + 32000))
        wav.append(contentsOf: Data("WAVEfmt ".utf8))
        le(UInt32(16)); le(UInt16(1)); le(UInt16(1)); le(UInt32(16000)); le(UInt32(32000)); le(UInt16(2)); le(UInt16(16))
        wav.append(contentsOf: Data("data".utf8))
        le(UInt32(32000))
        wav.append(Data(count: 32000))
        try wav.write(to: URL(fileURLWithPath: folder.path("silent.wav")))
        try "silent.wav,yes\n\(ExplainCommandTests.sample("audio/eval/no/no-1.wav")),no\n".write(
            toFile: folder.path("set.csv"), atomically: true, encoding: .utf8)
        let result = try WamProcess.run(["eval", "--data", folder.path("set.csv"), "--denoise", "0", "--methods", "wam-gradient"])
        #expect(result.status != 0)
        #expect(result.error.contains("silent.wav") && result.error.contains("is silent"), "\(result.error)")
        #expect(!result.output.contains("inf") && !result.output.contains("nan"))
    }

    @Test("--sanity end to end: explanations change as the model is randomised; the magnitude reference, which ignores the model, never does")
    func sanity() throws {
        let folder = try TemporaryFolder()
        let result = try WamProcess.run([
            "eval", "--data", ExplainCommandTests.sample("audio/eval"), "--limit", "2", "--sanity",
            "--methods", "wam-gradient,magnitude", "--out", folder.path("c"),
        ])
        #expect(result.status == 0, "\(result.error)")
        let steps = try #require(try Self.json(folder.path("c/sanity.json")) as? [[String: Any]])
        let correlations = steps.compactMap { $0["spearman"] as? [String: Double] }
        #expect(correlations.count == steps.count && steps.count > 2)
        #expect(correlations.allSatisfy { abs(($0["magnitude"] ?? 0) - 1) < 1e-9 })
        #expect((correlations.last?["wam-gradient"] ?? 1) < 0.5)
    }
}
