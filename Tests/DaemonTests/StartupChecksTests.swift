import DaemonTestSupport
import Foundation
import Testing

/// What wamd checks before it runs, and names it writes: refusals name the key and exit without
/// a crash or a restart loop; odd paths and labels are written as they are.
@Suite struct StartupChecksTests {
    /// A copy of the bundled model beside `labels` as its `.labels.json`.
    static func model(labels: [String], in scratch: Scratch) throws -> URL {
        let model = scratch.path("model.onnx")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: DaemonProcess.model), to: model)
        try JSONSerialization.data(withJSONObject: labels).write(to: scratch.path("model.labels.json"))
        return model
    }

    static let labels =
        try! JSONSerialization.jsonObject(
            with: Data(
                contentsOf: URL(fileURLWithPath: DaemonProcess.model)
                    .deletingPathExtension().appendingPathExtension("labels.json"))) as! [String]

    @Test("duplicate class names in the labels file are refused at start with a clear error (exit 78, no crash)")
    func duplicateLabels() async throws {
        let scratch = try Scratch()
        var labels = Self.labels
        labels[3] = labels[1]
        let model = try Self.model(labels: labels, in: scratch)
        let daemon = try DaemonProcess(["file:" + DaemonProcess.stream.path, "--model", model.path, "--out", scratch.path("out").path])
        #expect(await daemon.exit(timeout: 60) == 78)
        #expect(daemon.log.contains("class 3 has the name \"\(labels[1])\" of class 1"), "\(daemon.log)")
    }

    @Test("a 300-character class name is written under a short, unique file name")
    func longLabel() async throws {
        let scratch = try Scratch()
        var labels = Self.labels
        labels = labels.map { String(repeating: "x", count: 290) + $0 }
        let model = try Self.model(labels: labels, in: scratch)
        let daemon = try DaemonProcess(
            ["file:" + DaemonProcess.stream.path]
                + DaemonEndToEndTests.arguments(out: scratch.path("out"))
                .replacingModel(with: model.path))
        #expect(await daemon.exit(timeout: 120) == 0, "\(daemon.log)")
        let output = OutputFolder(root: scratch.path("out"))
        #expect(!output.documents.isEmpty)
        #expect(output.files.allSatisfy { $0.lastPathComponent.utf8.count < 100 })
        #expect(!daemon.log.contains("File name too long"))
    }

    @Test("--model, --out and input paths with backslashes, tabs' escapes and quotes are used exactly as given")
    func oddPaths() async throws {
        let scratch = try Scratch()
        let odd = scratch.path("we\\tird \"name\" 'x'")
        let input = scratch.path("in \\n \"q\".wav")
        try FileManager.default.copyItem(at: DaemonProcess.stream, to: input)
        let daemon = try DaemonProcess([
            "file:" + input.path, "--model", DaemonProcess.model, "--out", odd.path,
            "--set", "explain.method=\"gradient\"",
        ])
        #expect(await daemon.exit(timeout: 120) == 0, "\(daemon.log)")
        #expect(OutputFolder(root: odd).logLines.count == 40)
    }

    @Test(
        "--check-config checks against the model: unknown wavelet, mode, too many levels, each with its line; at start an invalid file exits 2, one that cannot work with the model 78",
        arguments: [
            ("wavelet = \"db45\"", "explain.wavelet", Int32(2)), ("mode = \"mirror\"", "explain.mode", 2), ("levels = 30", "explain.levels", 78),
        ])
    func checkConfigAgainstModel(_ line: String, _ key: String, _ startStatus: Int32) async throws {
        let scratch = try Scratch()
        let file = scratch.path("wamd.toml")
        try """
        [model]
        path = "\(DaemonProcess.model)"
        [explain]
        \(line)
        """.write(to: file, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(["--check-config", file.path])
        #expect(await daemon.exit(timeout: 60) == 2)
        #expect(daemon.log.contains("wamd.toml:4: \(key):"), "\(daemon.log)")
        // The daemon refuses the same file at start, before reporting ready.
        let started = try DaemonProcess(["--config", file.path, "--out", scratch.path("out").path])
        #expect(await started.exit(timeout: 60) == startStatus)
        #expect(started.log.contains(key))
    }

    @Test("--check-config: an unknown class in the gates, and a file that is not UTF-8, are named")
    func checkConfigMore() async throws {
        let scratch = try Scratch()
        let file = scratch.path("wamd.toml")
        try "[model]\npath = \"\(DaemonProcess.model)\"\n[gates]\nclasses = [\"banjo\"]\n".write(to: file, atomically: true, encoding: .utf8)
        let unknown = try DaemonProcess(["--check-config", file.path])
        #expect(await unknown.exit(timeout: 60) == 2)
        #expect(unknown.log.contains("wamd.toml:4: gates.classes: unknown class \"banjo\""), "\(unknown.log)")
        try (Data("[model]\n# caf".utf8) + Data([0xE9, 0x0A])).write(to: file)
        let latin1 = try DaemonProcess(["--check-config", file.path])
        #expect(await latin1.exit(timeout: 60) == 2)
        #expect(latin1.log.contains("wamd.toml:2: (file): not UTF-8 text"), "\(latin1.log)")
    }
}

extension [String] {
    /// These daemon arguments with `--model` pointing at `path`.
    func replacingModel(with path: String) -> [String] {
        guard let index = firstIndex(of: "--model") else { return self + ["--model", path] }
        var copy = self
        copy[index + 1] = path
        return copy
    }
}
