import ArrayIO
import DaemonTestSupport
import Foundation
import NDArray
import Testing

/// `wam model run` and `wam model info` with silero-vad: inputs given at load, state carried.
@Suite struct StatefulModelCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = root.appendingPathComponent("Samples/models/silero-vad/silero_vad.onnx").path

    @Test("model run --state runs the examples as a stream: onnxruntime's probabilities, and the final state in the archive")
    func runCarriesState() throws {
        let reference = Dictionary(
            try NpzArchive.read(Self.root.appendingPathComponent("Tests/ONNXTests/Fixtures/silero/reference.npz")).map { ($0.key, $0.array) },
            uniquingKeysWith: { first, _ in first })
        let audio = reference["audio"]!.asFloat.storage, expected = reference["silero_vad.onnx.probabilities"]!.asFloat.storage
        let count = 40
        var chunks: [Float] = [], context = [Float](repeating: 0, count: 64)
        for index in 0..<count {
            let window = context + audio[(index * 512)..<((index + 1) * 512)]
            chunks += window
            context = Array(window.suffix(64))
        }
        let folder = try TemporaryFolder()
        try NpyFile.write(.float32(NDArray(shape: [count, 576], storage: chunks)), to: URL(fileURLWithPath: folder.path("chunks.npy")))
        let result = try WamProcess.run([
            "model", "run", Self.model, folder.path("chunks.npy"), "--input", "sr=16000", "--state", "state=stateN", "--input-shape", "576",
            "--grad", "0", "--out", folder.path("out.npz"),
        ])
        #expect(result.status == 0, "\(result.error)")
        let archive = Dictionary(
            try NpzArchive.read(URL(fileURLWithPath: folder.path("out.npz"))).map { ($0.key, $0.array) }, uniquingKeysWith: { a, _ in a })
        let probabilities = archive["logits"]!.asFloat.storage
        #expect(probabilities.count == count)
        #expect(zip(probabilities, expected).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(archive["input_grad"]?.shape == [count, 576])
        #expect(archive["state.state"]?.shape == [2, 1, 128])
    }

    @Test("model info names each input's role and says why the model does not run yet")
    func infoRoles() throws {
        let bare = try WamProcess.run(["model", "info", Self.model])
        #expect(bare.status == 0, "\(bare.error)")
        #expect(bare.output.contains("input:      sr int64 []: needs a value (--input sr=VALUE)\n"))
        #expect(bare.output.contains("state float32 [2, ?, 128]: needs a value (--input state=VALUE) or to carry state (--state state=OUTPUT)"))
        #expect(bare.output.contains("runs:       not as given: 'state'"))
        let bound = try WamProcess.run(["model", "info", Self.model, "--input", "sr=16000", "--state", "state=stateN", "--input-shape", "576"])
        #expect(bound.output.contains("input:      state float32 [2, ?, 128]: state"), "\(bound.output)")
        #expect(bound.output.contains("output:     stateN float32 [?, ?, ?]: state"))
        #expect(bound.output.contains("runs:       yes, one example [576] -> [1], one example per pass (state: state)"))
    }
}
