import ArgumentParser
import CommandSupport
import Foundation
import Inference
import NDArray
import ONNX

/// `wam-bench streaming`: a stateful model run the way silero's wrapper runs it, chunk after
/// chunk with its state carried (compare with Reference/onnxruntime_streaming.py): the time to
/// stream `seconds` of audio, and how many times faster than real time that is.
struct StreamingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streaming",
        abstract: "Stream audio through silero-vad with its state carried (compare with Reference/onnxruntime_streaming.py).")

    @Option(help: "The model (.onnx); default: the bundled silero_vad.onnx.") var model: String?
    @Option(help: "Seconds of audio (16 kHz) to stream.") var seconds = 60.0
    @Option(help: "Timed runs (after one warm-up run); the best is reported.") var runs = 3

    static let bundledModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Samples/models/silero-vad/silero_vad.onnx").standardizedFileURL

    func validate() throws {
        try Check.range(seconds, 1...3600, "--seconds")
        try Check.range(runs, 1...100, "--runs")
    }

    func run() throws {
        let chunk = 512, context = 64
        let engine = try ONNXModel(contentsOf: model.map { URL(fileURLWithPath: $0) } ?? Self.bundledModel).makeEngine(
            exampleShape: [context + chunk],
            bindings: ModelBindings(values: ["sr": InputValue(scalar: 16000)], state: ["state": "stateN"]))
        let audio = EngineBenchmark.noise(count: 1, shape: [Int(seconds * 16000)]).storage.map { $0 * 0.2 }
        var window = [Float](repeating: 0, count: context + chunk)
        func stream() throws -> Float {
            var state = NDArray<Float>(shape: [2, 1, 128], repeating: 0)
            var total: Float = 0
            for start in stride(from: 0, through: audio.count - chunk, by: chunk) {
                window.replaceSubrange(0..<context, with: window[chunk...])
                window.replaceSubrange(context..., with: audio[start..<(start + chunk)])
                let result = try engine.evaluate(
                    NDArray(shape: [1, context + chunk], storage: window),
                    EvaluationRequest(activations: ["stateN"], heldInputs: ["state": state]))
                state = NDArray(shape: [2, 1, 128], storage: result.activations["stateN"]!.storage)
                total += result.output.storage[0]
            }
            return total
        }
        _ = try stream()
        var best = Double.infinity
        for _ in 0..<runs {
            let started = DispatchTime.now().uptimeNanoseconds
            _ = try stream()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        print(
            String(
                format: "engine streaming %.0f s in %.3f s (%.0fx real time), %.3f ms per 32 ms chunk, peak RSS %.0f MiB",
                seconds, best, seconds / best, best * 1000 / (seconds * 16000 / Double(chunk)), PeakMemory.megabytes()))
    }
}
