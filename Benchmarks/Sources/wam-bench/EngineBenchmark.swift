import ArgumentParser
import CommandSupport
import Foundation
import Inference
import NDArray
import ONNX

/// `wam-bench engine`: times the inference engine on one model the way
/// Benchmarks/Reference/torch_engine.py times PyTorch: forward of one example, one input
/// gradient, and a batch of 25 input gradients (the best, or the median, of repeated runs), then
/// the process's peak resident memory.
struct EngineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Forward, one gradient and 25 gradients of one model (compare with Reference/torch_engine.py).")

    enum Statistic: String, ExpressibleByArgument, CaseIterable {
        case best, median
    }

    @Option(help: "Threads for the engine.") var threads = 1
    @Option(help: "Timed runs per case (after one warm-up run).") var runs = 20
    @Option(help: "Most examples per engine call.") var maxBatch = EngineOptions().maxBatch
    @Option(help: "The model (.onnx); default: the 1D ResNet of the engine fixtures.") var model: String?
    @Option(help: "Which of the runs is reported: best or median.") var statistic = Statistic.best

    func validate() throws {
        try Check.range(threads, 1...64, "--threads")
        try Check.range(runs, 1...10_000, "--runs")
        try Check.range(maxBatch, 1...1024, "--max-batch")
    }

    /// The 1D ResNet of the engine fixtures (Tests/ONNXTests/Fixtures/models).
    static let fixtureModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Tests/ONNXTests/Fixtures/models/resnet1d.onnx").standardizedFileURL

    func run() throws {
        let url = model.map { URL(fileURLWithPath: $0) } ?? Self.fixtureModel
        let engine = try ONNXModel(contentsOf: url).makeEngine(options: EngineOptions(threads: threads, maxBatch: maxBatch))
        let one = Self.noise(count: 1, shape: engine.inputShape), twentyFive = Self.noise(count: 25, shape: engine.inputShape)
        let classes = (0..<25).map { $0 % engine.classCount }
        let forward = try time { _ = try engine.logits(one) }
        let gradient = try time { _ = try engine.inputGradient(one, classes: [0]) }
        let batched = try time(runs: max(3, runs / 2)) { _ = try engine.inputGradient(twentyFive, classes: classes) }
        print(
            String(
                format:
                    "engine threads=%d maxBatch=%d (%@ of runs, OpenBLAS %@): forward %.2f ms, one gradient %.2f ms, 25 gradients %.1f ms, peak RSS %.0f MiB",
                threads, maxBatch, statistic.rawValue, BLASRuntime.coreName, forward, gradient, batched, PeakMemory.megabytes()))
    }

    /// The best (or median) wall time of `runs` calls of `body`, in milliseconds, after one warm-up call.
    private func time(runs: Int? = nil, _ body: () throws -> Void) rethrows -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<(runs ?? self.runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return statistic == .best ? times.min()! : times.sorted()[times.count / 2]
    }

    /// A reproducible batch of uniform noise in [-0.5, 0.5).
    static func noise(count: Int, shape: [Int]) -> NDArray<Float> {
        var state: UInt32 = 12345
        return NDArray(
            shape: [count] + shape,
            storage: (0..<(count * shape.reduce(1, *))).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8) / Float(1 << 24) - 0.5
            })
    }
}

/// The process's peak resident memory.
enum PeakMemory {
    /// Peak resident set size in MiB.
    static func megabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    }
}
