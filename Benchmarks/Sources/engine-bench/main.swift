// Times the inference engine on one model, the way Tools/bench_torch_engine.py times PyTorch:
// forward of one example, one input gradient, and a batch of 25 input gradients (the best, or
// the median, of repeated runs), then the process's peak resident memory.
//
//   swift run -c release --package-path Benchmarks engine-bench [--threads N] [--model PATH] [--runs N]
//                                                               [--max-batch N] [--statistic best|median]
import Foundation
import Inference
import NDArray
import ONNX

struct Arguments {
    var threads = 1
    var runs = 20
    var maxBatch = EngineOptions().maxBatch
    var statistic = "best"
    var model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../../Tests/ONNXTests/Fixtures/models/resnet1d.onnx"
    ).standardizedFileURL.path

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { fatalError("missing value after \(flag)") }
            switch flag {
            case "--threads": threads = Int(value)!
            case "--runs": runs = Int(value)!
            case "--max-batch": maxBatch = Int(value)!
            case "--model": model = value
            case "--statistic" where ["best", "median"].contains(value): statistic = value
            default: fatalError("unknown option \(flag) \(value); expected --threads, --runs, --max-batch, --model, --statistic best|median")
            }
        }
    }
}

/// The best (or median) wall time of `runs` calls of `body`, in milliseconds, after one warm-up call.
func time(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return arguments.statistic == "best" ? times.min()! : times.sorted()[times.count / 2]
}

/// The process's peak resident set size in MiB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

let arguments = Arguments(CommandLine.arguments)
let engine = try ONNXModel(contentsOf: URL(fileURLWithPath: arguments.model))
    .makeEngine(options: EngineOptions(threads: arguments.threads, maxBatch: arguments.maxBatch))
/// A reproducible batch of uniform noise in [-0.5, 0.5).
func batch(_ count: Int) -> NDArray<Float> {
    var state: UInt32 = 12345
    return NDArray(
        shape: [count] + engine.inputShape,
        storage: (0..<(count * engine.inputShape.reduce(1, *))).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) - 0.5
        })
}
let one = batch(1), twentyFive = batch(25)
let classes = (0..<25).map { $0 % engine.classCount }

let forward = try time(runs: arguments.runs) { _ = try engine.logits(one) }
let gradient = try time(runs: arguments.runs) { _ = try engine.inputGradient(one, classes: [0]) }
let batched = try time(runs: max(3, arguments.runs / 2)) { _ = try engine.inputGradient(twentyFive, classes: classes) }
print(
    String(
        format:
            "engine threads=%d maxBatch=%d (%@ of runs, OpenBLAS %@): forward %.2f ms, one gradient %.2f ms, 25 gradients %.1f ms, peak RSS %.0f MiB",
        arguments.threads, arguments.maxBatch, arguments.statistic, BLASRuntime.coreName, forward, gradient, batched,
        peakResidentMegabytes()))
