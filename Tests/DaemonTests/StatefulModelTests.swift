import ArrayIO
import DaemonTestSupport
import Foundation
import Testing

/// `wamd` with silero-vad (Samples/models/silero-vad): its `sr` input given at load, its LSTM
/// state carried from window to window, speech onsets explained.
@Suite(.serialized) struct StatefulModelTests {
    static let model = DaemonProcess.root.appendingPathComponent("Samples/models/silero-vad/silero_vad.onnx").path
    static let reference = DaemonProcess.root.appendingPathComponent("Tests/ONNXTests/Fixtures/silero/reference.npz")

    @Test("a stream through silero-vad: the speech probabilities of onnxruntime with the state carried, onsets explained with the state held")
    func speechOnsets() throws {
        let arrays = Dictionary(try NpzArchive.read(Self.reference).map { ($0.key, $0.array) }, uniquingKeysWith: { first, _ in first })
        let audio = arrays["audio"]!.asFloat.storage, expected = arrays["silero_vad.onnx.probabilities"]!.asFloat.storage
        let scratch = try Scratch()
        let daemon = try DaemonProcess(
            [
                "-", "--format", "f32le", "--rate", "16000", "--channels", "1", "--model", Self.model, "--out", scratch.url.path,
                "--set", "source.backpressure=true", "--set", "model.input_shape=[576]", "--set", "model.inputs={ sr = 16000 }",
                "--set", "model.state={ state = \"stateN\" }", "--set", "windows.hop=512", "--set", "gates.min_dbfs=-200",
                "--set", "gates.onsets=true", "--set", "gates.max_per_class_per_minute=0", "--set", "explain.method=\"gradient\"",
                "--set", "explain.levels=4",
            ])
        // silero's wrapper puts 64 samples of context (zeros at first) before each 512-sample
        // chunk: with 64 zeros in front, window k of 576 samples at hop 512 is its call k.
        let samples = [Float](repeating: 0, count: 64) + audio
        daemon.input.fileHandleForWriting.write(samples.withUnsafeBufferPointer { Data(buffer: $0) })
        try daemon.input.fileHandleForWriting.close()
        #expect(daemon.wait(timeout: 120) == 0, "\(daemon.log)")
        let output = OutputFolder(root: scratch.url)
        let lines = output.logLines.sorted { ($0["sample_index"] as? Int ?? 0) < ($1["sample_index"] as? Int ?? 0) }
        let probabilities = lines.compactMap { $0["probability"] as? Double }
        #expect(probabilities.count >= expected.count)
        let worst = zip(probabilities, expected).map { abs($0 - Double($1)) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest difference from onnxruntime \(worst)")

        // Onsets: a window at or above 0.5 after one below; nothing else is explained.
        let onsets = probabilities.indices.filter { probabilities[$0] >= 0.5 && ($0 == 0 || probabilities[$0 - 1] < 0.5) }
        let explained = lines.indices.filter { lines[$0]["decision"] as? String == "explain" }
        #expect(!onsets.isEmpty && explained == onsets)
        #expect(lines.allSatisfy { ["explain", "unlikely", "continuing", "quiet"].contains($0["decision"] as? String ?? "") })
        let documents = output.documents.filter { $0["schema_version"] != nil }
        #expect(documents.count == onsets.count)
        for document in documents {
            let model = try #require(document["model"] as? [String: Any])
            #expect(model["output_scale"] as? String == "probabilities")
            let inputs = try #require(model["other_inputs"] as? [String: String])
            #expect(inputs["sr"] == "given at load: 16000.0")
            #expect(inputs["state"]?.hasPrefix("state carried from the previous window") == true)
        }
    }

    @Test("model.inputs and model.state are checked against the model at start: unknown names and missing values are refused")
    func bindingErrors() throws {
        let scratch = try Scratch()
        let base = ["file:" + DaemonProcess.stream.path, "--model", Self.model, "--out", scratch.url.path, "--set", "model.input_shape=[576]"]
        let missing = try DaemonProcess(base + ["--set", "model.inputs={ sr = 16000 }"])
        #expect(missing.wait(timeout: 60) != 0)
        #expect(missing.log.contains("'state': the model needs a value for this float32 input"), "\(missing.log)")
        let unknown = try DaemonProcess(base + ["--set", "model.inputs={ sr = 16000, rate = 1 }", "--set", "model.state={ state = \"stateN\" }"])
        #expect(unknown.wait(timeout: 60) != 0)
        #expect(unknown.log.contains("'rate': a value is given for it, but the model has no input of that name"), "\(unknown.log)")
        let badOutput = try DaemonProcess(base + ["--set", "model.inputs={ sr = 16000 }", "--set", "model.state={ state = \"next\" }"])
        #expect(badOutput.wait(timeout: 60) != 0)
        #expect(badOutput.log.contains("'next': it is named as the next value of state input 'state'"), "\(badOutput.log)")
    }
}
