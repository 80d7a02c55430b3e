import ArgumentParser
import CommandSupport
import Foundation
import NDArray
import Wavelets

/// `wam-bench wavelets`: multilevel decomposition and reconstruction, db4, float32, of 2^20
/// samples and a 512x512 image, the cases of Benchmarks/Reference/pywt_transforms.py.
struct WaveletsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wavelets",
        abstract: "Multilevel decomposition + reconstruction timings (the cases of Reference/pywt_transforms.py).")

    @Option(help: "Repetitions per case; the median is reported.")
    var repeats = 15

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        try Check.range(repeats, 1...10_000, "--repeats")
    }

    func run() throws {
        let wavelet = try Wavelet("db4")
        let cases: [(name: String, shape: [Int], mode: ExtensionMode)] = [
            ("1d-2^20-symmetric", [1 << 20], .symmetric),
            ("1d-2^20-periodization", [1 << 20], .periodization),
            ("2d-512x512-symmetric", [512, 512], .symmetric),
            ("2d-512x512-periodization", [512, 512], .periodization),
        ]
        var results: [[String: Any]] = []
        for c in cases {
            let transform = try WaveletTransform(wavelet: wavelet, mode: c.mode, signalShape: c.shape)
            let signal = (0..<c.shape.reduce(1, *)).map { Float(sin(Double($0) * 0.618) + cos(Double($0) * 0.0031)) }
            var decompose: [Double] = [], reconstruct: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now()
                let coefficients = transform.decompose(values: signal)
                let middle = DispatchTime.now()
                let rebuilt = transform.reconstruct(values: coefficients)
                let end = DispatchTime.now()
                precondition(rebuilt.count == signal.count)
                decompose.append(Double(middle.uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
                reconstruct.append(Double(end.uptimeNanoseconds - middle.uptimeNanoseconds) / 1e6)
            }
            results.append([
                "case": c.name, "levels": transform.levels,
                "decompose_ms": median(decompose), "reconstruct_ms": median(reconstruct),
            ])
        }
        if json {
            let data = try JSONSerialization.data(
                withJSONObject: ["wavelet": "db4", "dtype": "float32", "results": results],
                options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("case                          levels  decompose ms  reconstruct ms")
            for r in results {
                print(
                    String(
                        format: "%@  %6d  %12.3f  %14.3f", (r["case"] as! String).padding(toLength: 28, withPad: " ", startingAt: 0),
                        r["levels"] as! Int,
                        r["decompose_ms"] as! Double, r["reconstruct_ms"] as! Double))
            }
        }
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
