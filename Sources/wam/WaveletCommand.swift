import ArgumentParser
import ArrayIO
import Foundation
import NDArray
import Wavelets

struct WaveletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wavelet",
        abstract: "Discrete wavelet transforms of .npy arrays, identical to PyWavelets.",
        subcommands: [List.self, Decompose.self, Reconstruct.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the wavelet families and extension modes.")

        func run() {
            print("Wavelets (PyWavelets names):")
            for family in Wavelet.families {
                print("  \(family.name) (\(family.shortName)): " + family.members.map(\.name).joined(separator: " "))
            }
            print("Modes: " + ExtensionMode.allCases.map(\.rawValue).joined(separator: " "))
        }
    }

    struct TransformOptions: ParsableArguments {
        @Option(help: "Wavelet name, e.g. db4, sym8, bior2.2, haar (see `wam wavelet list`).")
        var wavelet: String = "db4"

        @Option(help: "Signal extension mode: zero, constant, symmetric, periodic, smooth, periodization, reflect, antisymmetric, antireflect.")
        var mode: String = "symmetric"

        @Option(parsing: .upToNextOption, help: "Axes to transform (negative counts from the end); default: all axes.")
        var axes: [Int] = []

        func parsed() throws -> (Wavelet, ExtensionMode, [Int]?) {
            (try Wavelet(wavelet), try ExtensionMode(parsing: mode), axes.isEmpty ? nil : axes)
        }
    }

    struct Decompose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Multilevel decomposition (pywt.wavedecn) of an .npy array into an .npz of bands.",
            discussion: """
                Keys are named like pywt's: 1 axis cA3, cD3, ..., cD1; 2 axes cA2, cH2, cV2, cD2, ...; \
                more axes cA2, aad2, ada2, ... The archive also holds `signal_shape` and `axes`, which \
                `wam wavelet reconstruct` uses to crop odd lengths back.
                """
        )

        @Argument(help: "Input array (.npy, float32 or float64; integers are read as float64).")
        var input: String

        @OptionGroup var transform: TransformOptions

        @Option(help: "Number of levels; default: the maximum (pywt.dwt_max_level).")
        var level: Int?

        @Option(help: "Output archive (.npz).")
        var out: String

        func run() throws {
            let (wavelet, mode, axes) = try transform.parsed()
            let array = try NpyFile.read(URL(fileURLWithPath: input))
            let plan = try WaveletTransform(
                wavelet: wavelet, mode: mode, signalShape: array.shape,
                levels: level, axes: axes)
            var entries: [(key: String, array: NpyArray)]
            if case let .float32(signal) = array {
                entries = try plan.decompose(signal).namedBands.map { ($0.name, NpyArray.float32($0.array)) }
            } else {
                entries = try plan.decompose(array.asDouble).namedBands.map { ($0.name, NpyArray.float64($0.array)) }
            }
            entries.append(("signal_shape", .int64(NDArray(plan.signalShape.map(Int64.init)))))
            entries.append(("axes", .int64(NDArray(plan.axes.map(Int64.init)))))
            try NpzArchive.write(entries, to: URL(fileURLWithPath: out))
            let bands = entries.count - 2
            print("\(input): \(array.shape) -> \(bands) bands, \(plan.levels) levels of \(wavelet.name) (\(mode.rawValue)) in \(out)")
        }
    }

    struct Reconstruct: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Multilevel reconstruction (pywt.waverecn) of an .npz of bands into an .npy array.",
            discussion: """
                Reads the keys written by `wam wavelet decompose` (or any archive with pywt-style keys). \
                Without `signal_shape` in the archive or --shape, the output keeps pywt's length \
                (possibly one sample longer than the original along each axis).
                """
        )

        @Argument(help: "Coefficient archive (.npz).")
        var input: String

        @OptionGroup var transform: TransformOptions

        @Option(parsing: .upToNextOption, help: "Shape of the original signal (to crop odd lengths).")
        var shape: [Int] = []

        @Option(help: "Output array (.npy).")
        var out: String

        func run() throws {
            let (wavelet, mode, requestedAxes) = try transform.parsed()
            let entries = try NpzArchive.read(URL(fileURLWithPath: input))
            let plan = try CoefficientArchive.plan(
                entries: entries, file: input, wavelet: wavelet, mode: mode,
                axes: requestedAxes, shape: shape.isEmpty ? nil : shape)
            let isFloat32 = entries.contains { if case .float32 = $0.array { true } else { false } }
            let output: NpyArray
            if isFloat32 {
                output = .float32(try plan.reconstruct(try CoefficientArchive.coefficients(entries, plan: plan, file: input) { $0.asFloat }))
            } else {
                output = .float64(try plan.reconstruct(try CoefficientArchive.coefficients(entries, plan: plan, file: input) { $0.asDouble }))
            }
            try NpyFile.write(output, to: URL(fileURLWithPath: out))
            print("\(input): \(plan.levels) levels of \(wavelet.name) (\(mode.rawValue)) -> \(output.shape) in \(out)")
        }
    }
}
