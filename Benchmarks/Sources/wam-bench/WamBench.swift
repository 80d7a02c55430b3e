import ArgumentParser

/// `wam-bench`: the Swift side of every benchmark in Benchmarks/ (build with -c release). The
/// driver `Benchmarks/run.sh` runs each next to its reference (PyWavelets, PyTorch).
@main
struct WamBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wam-bench",
        abstract: "Measure wam's speed on this machine (build with -c release); see Benchmarks/README.md.",
        subcommands: [
            WaveletsBenchmark.self, EngineBenchmark.self, AttributionBenchmark.self, IntegrationBenchmark.self, StreamingBenchmark.self,
            MQTTBenchmark.self, PictureBenchmark.self,
        ]
    )
}
