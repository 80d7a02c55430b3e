import AudioIO
import Foundation
import Testing

/// `wam dataset add`: explained windows become a labelled dataset, and nothing outside it is read
/// or written on a document's say-so.
@Suite struct DatasetCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A window explained by `wam explain --input-audio`: its document (as JSON) and folder.
    static func explainedWindow(in folder: TemporaryFolder) throws -> (document: URL, json: [String: Any]) {
        let result = try WamProcess.run([
            "explain", root.appendingPathComponent("Samples/audio/piano.wav").path, "--model",
            root.appendingPathComponent("Samples/models/audio-resnet.onnx").path, "--method", "gradient", "--input-audio", "--no-picture",
            "--out", folder.path("explained"),
        ])
        #expect(result.status == 0, "\(result.error)")
        let document = URL(fileURLWithPath: folder.path("explained/piano.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: document)) as? [String: Any])
        return (document, json)
    }

    static func write(_ json: [String: Any], to url: URL) throws {
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test("a window's input audio is copied into DATASET/LABEL/ once, named after where and when it was heard")
    func addsInputWindow() throws {
        let folder = try TemporaryFolder()
        var (document, json) = try Self.explainedWindow(in: folder)
        let added = try WamProcess.run(["dataset", "add", document.path, "--label", "piano", "--to", folder.path("data")])
        #expect(added.status == 0, "\(added.error)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path("data/piano"))
        #expect(names.count == 1 && names[0].hasPrefix("piano_w0-") && names[0].hasSuffix(".wav"), "\(names)")
        let input = try AudioFile.read(URL(fileURLWithPath: folder.path("explained/piano_input.wav")))
        #expect(try AudioFile.read(URL(fileURLWithPath: folder.path("data/piano/\(names[0])"))) == input)
        #expect(added.output.contains("1 added"))

        let again = try WamProcess.run(["dataset", "add", document.path, "--label", "piano", "--to", folder.path("data")])
        #expect(again.status == 0)
        #expect(again.output.contains("already in the dataset"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("data/piano")) == names)

        // A daemon window is named after its source and start time, in characters safe in a file name.
        json["stream"] = ["source": "alsa-hw:1,0", "start_time": "2025-01-31T12:00:01.250Z", "sample_index": 16000]
        let daemonDocument = URL(fileURLWithPath: folder.path("explained/daemon.json"))
        try Self.write(json, to: daemonDocument)
        let daemon = try WamProcess.run(["dataset", "add", daemonDocument.path, "--label", "door", "--to", folder.path("data")])
        #expect(daemon.status == 0, "\(daemon.error)")
        let door = try FileManager.default.contentsOfDirectory(atPath: folder.path("data/door"))
        #expect(door.count == 1 && door[0].hasPrefix("alsa-hw-1-0_2025-01-31T12-00-01.250Z-"), "\(door)")
        #expect(try AudioFile.read(URL(fileURLWithPath: folder.path("data/door/\(door[0])"))) == input)
    }

    @Test("windows whose names differ only in what sanitising replaces are kept apart, and long names are shortened")
    func distinctWindowsStayApart() throws {
        let folder = try TemporaryFolder()
        var (_, json) = try Self.explainedWindow(in: folder)
        var documents: [String] = []
        var input = try #require(json["input"] as? [String: Any])
        for (index, file) in ["/data/day1/rec001.wav", "/data/day2/rec001.wav"].enumerated() {
            input["file"] = file
            json["input"] = input
            documents.append(folder.path("explained/file\(index).json"))
            try Self.write(json, to: URL(fileURLWithPath: documents.last!))
        }
        for (index, source) in ["кухня", "ванна", "mic 1", "mic-1", String(repeating: "a", count: 5000)].enumerated() {
            json["stream"] = ["source": source, "start_time": "2025-01-31T12:00:01.250Z", "sample_index": 16000]
            documents.append(folder.path("explained/stream\(index).json"))
            try Self.write(json, to: URL(fileURLWithPath: documents.last!))
        }
        let result = try WamProcess.run(["dataset", "add"] + documents + ["--label", "x", "--to", folder.path("data")])
        #expect(result.status == 0, "\(result.error)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path("data/x"))
        #expect(names.count == documents.count, "\(names)")
        #expect(names.allSatisfy { $0.utf8.count <= 120 })
    }

    @Test("a document naming an input outside its folder, a FIFO, or none, is refused; the other windows are still added")
    func refusesForeignInputs() throws {
        let folder = try TemporaryFolder()
        var (document, json) = try Self.explainedWindow(in: folder)
        var files = try #require(json["files"] as? [String: Any])
        var outcomes: [String] = []
        #expect(mkfifo(folder.path("explained/pipe_input.wav"), 0o600) == 0)
        let inputs: [(String, String?)] = [
            ("escape", "../../../../etc/passwd"), ("hidden", ".secret.wav"), ("none", nil), ("pipe", "pipe_input.wav"),
        ]
        for (name, inputWav) in inputs {
            files["input_wav"] = inputWav
            json["files"] = files
            let url = URL(fileURLWithPath: folder.path("explained/\(name).json"))
            try Self.write(json, to: url)
            outcomes.append(url.path)
        }
        try Data("{\"schema_version\": 1}".utf8).write(to: URL(fileURLWithPath: folder.path("explained/other.json")))
        let result = try WamProcess.run(
            ["dataset", "add"] + outcomes + [folder.path("explained/other.json"), document.path, "--label", "piano", "--to", folder.path("data")])
        #expect(result.status == 1)
        #expect(result.error.contains("escape.json: names its input window '../../../../etc/passwd', which is not a file name beside it"))
        #expect(result.error.contains("hidden.json: names its input window '.secret.wav'"))
        #expect(result.error.contains("pipe.json: its input window: "))
        #expect(result.error.contains("none.json: has no input window beside it; wamd keeps them with explain.write_input = true"))
        #expect(result.error.contains("other.json: is not an explanation document written by wam or wamd"))
        // A FIFO would block the read forever.
        #expect(result.error.contains("pipe_input.wav: is not a regular file"))
        #expect(result.output.contains("1 added to"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("data/piano")).count == 1)
    }

    @Test(
        "a label that is not one plain folder name is refused before anything is written",
        arguments: ["", "..", "a/b", "a\\b", ".hidden", "tab\there", " padded", String(repeating: "é", count: 101)])
    func refusesLabels(label: String) throws {
        let folder = try TemporaryFolder()
        let (document, _) = try Self.explainedWindow(in: folder)
        let result = try WamProcess.run(["dataset", "add", document.path, "--label", label, "--to", folder.path("data")])
        #expect(result.status == 64)
        #expect(result.error.contains("expected a class name"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("data")))
    }
}
