import ArrayIO
import Daemon
import Foundation
import Inference
import LiveView
import NDArray
import ONNX

/// One entry point per parser that wam owns, each taking the raw bytes of one fuzz input.
///
/// The functions are what the libFuzzer executables of `Fuzz/` call and what the replay test
/// (`Tests/FuzzRegressionTests`) runs over every committed crasher, so a crash found by the
/// fuzzer and the regression test that keeps it fixed go through exactly the same code.
///
/// Rules: thrown errors are expected and swallowed (a parser saying "no" is fine); a trap, a
/// memory error, a hang or an unbounded allocation is a bug. Where a parser promises more than
/// "does not crash" the function checks it and traps (`check`) when the promise is broken, so the
/// fuzzer reports it like a crash. Nothing here changes what the product does.
public enum FuzzTargets {
    /// Every target by name; the names are the folders under `Crashers/` and the values of
    /// `WAM_FUZZ_TARGET` for the `Fuzz/` executable.
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("onnx", onnx),
        ("npy", npy),
        ("npz", npz),
        ("config", configuration),
        ("multipart", multipart),
        ("window-id", windowID),
    ]

    /// The target called `name`, if there is one.
    public static func named(_ name: String) -> (@Sendable ([UInt8]) -> Void)? {
        all.first { $0.name == name }?.run
    }

    // MARK: - ONNX

    /// Largest example (elements, without the batch axis) the ONNX target runs through the engine.
    static let largestExample = 1 << 14

    /// `ONNXModel(data:)` (protobuf decoding, tensor decoding, graph description), then
    /// `makeEngine` (graph compilation for one batch size), then, for small inputs, one forward
    /// and one backward pass on zeros. Loaded from memory, so external data is never read.
    public static func onnx(_ data: [UInt8]) {
        guard let model = try? ONNXModel(data: Data(data), name: "fuzz") else { return }
        var engine = try? model.makeEngine()
        if engine == nil, let declared = model.summary.inputs.first?.shape, declared.count >= 1 {
            // Dynamic axes: resolve them the way `--input-shape` would, keeping the fixed ones.
            let example = declared.dropFirst().map { Int($0).flatMap { $0 >= 1 ? $0 : nil } ?? 8 }
            engine = try? model.makeEngine(exampleShape: example)
        }
        guard let engine else { return }
        var elements = 1
        for extent in engine.inputShape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= largestExample else { return }
            elements = product
        }
        let batch = NDArray<Float>(shape: [1] + engine.inputShape, repeating: 0)
        _ = try? engine.logits(batch)
        if engine.classCount >= 1 { _ = try? engine.inputGradient(batch, classes: [0]) }
    }

    // MARK: - npy / npz

    /// `NpyFormat.decode`, then every conversion a reader of the array may ask for.
    public static func npy(_ data: [UInt8]) {
        guard let array = try? NpyFormat.decode(Data(data), name: "fuzz.npy") else { return }
        inspect(array)
        // Encoding what was decoded must give the same array back, bit for bit (NaNs included).
        let encoded = NpyFormat.encode(array)
        check(
            (try? NpyFormat.decode(encoded, name: "re-encoded")).map(NpyFormat.encode) == encoded,
            "an array decoded from .npy does not survive encode/decode")
    }

    /// `NpzArchive.read(_:)`: the ZIP container (ZIPFoundation), then each `.npy` member.
    ///
    /// Through a file, as `wam` reads archives: ZIPFoundation's in-memory archives
    /// (`Archive(data:)`) read through a different I/O layer, which has a crash of its own (Z1 in
    /// `Fuzz/Findings/README.md`) that no wam command can reach. The file is per process, in
    /// `/dev/shm` when there is one.
    public static func npz(_ data: [UInt8]) {
        do { try Data(data).write(to: scratchArchive) } catch { return }
        let arrays = try? NpzArchive.read(scratchArchive)
        try? FileManager.default.removeItem(at: scratchArchive)  // fork mode starts many processes
        guard let arrays else { return }
        for (_, array) in arrays { inspect(array) }
    }

    private static let scratchArchive: URL = {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return URL(fileURLWithPath: folder).appendingPathComponent("wam-fuzz-\(ProcessInfo.processInfo.processIdentifier).npz")
    }()

    private static func inspect(_ array: NpyArray) {
        _ = array.shape
        _ = array.asFloat
        _ = array.asDouble
        _ = array.asIntegers
    }

    // MARK: - Daemon configuration

    /// `ConfigurationLoader.load(text:file:overrides:)`. The input up to its first NUL byte is the
    /// TOML text; after it, each line is one `--set section.key=value` override.
    public static func configuration(_ data: [UInt8]) {
        let split = data.firstIndex(of: 0) ?? data.endIndex
        let text = String(decoding: data[..<split], as: UTF8.self)
        let overrides =
            split == data.endIndex
            ? []
            : String(decoding: data[(split + 1)...], as: UTF8.self).split(separator: "\n").map(String.init)
        _ = try? ConfigurationLoader.load(text: text, file: "fuzz.toml", overrides: overrides)
    }

    // MARK: - Live view: uploads

    /// `MultipartFile(body:contentType:)`. The input up to its first line feed is the request's
    /// `Content-Type`; the rest is the body.
    public static func multipart(_ data: [UInt8]) {
        let split = data.firstIndex(of: 0x0A) ?? data.endIndex
        let contentType = String(decoding: data[..<split], as: UTF8.self)
        let body = Data(split == data.endIndex ? [] : data[(split + 1)...])
        guard let file = try? MultipartFile(body: body, contentType: contentType) else { return }
        check(file.data.count <= body.count, "a part larger than the body")
        check(body.range(of: file.data) != nil || file.data.isEmpty, "a part that is not a slice of the body")
    }

    // MARK: - Live view: window ids and paths

    /// `WindowID.components(of:)` and `WindowID.of(document:)` on the input as text, with
    /// the promise the file routes rely on: an accepted id names only safe single path
    /// components (no `/`, no leading `.`, so no `..`, nothing absolute), and ids round-trip;
    /// and `RequestPath.normalize`, the one normal form access rules and routing share.
    public static func windowID(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        if let (source, day, stem) = WindowID.components(of: text) {
            for part in [source, day, stem] {
                check(
                    !part.isEmpty && part.first != "." && !part.contains("/") && !part.contains("\0"),
                    "components(of:) accepted an unsafe path component \(String(reflecting: String(part)))")
            }
            check("\(source)~\(day)~\(stem)" == text, "components(of:) does not re-join to the id")
        }
        if let id = WindowID.of(document: text) {
            check(WindowID.components(of: id) != nil, "id(document:) returned an id that components(of:) rejects")
            check(
                id.replacingOccurrences(of: "~", with: "/") + ".json" == text,
                "id(document:) does not map back to the document path")
        }
        // Request-path normalisation: what it accepts starts with one `/`, holds no empty, `.` or
        // `..` segment and no encoded separator, and is its own normal form.
        if let path = try? RequestPath.normalize(text) {
            let segments = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/", omittingEmptySubsequences: false) } ?? []
            check(path.hasPrefix("/"), "a normalised path without a leading /: \(String(reflecting: path))")
            check(
                segments.dropFirst().allSatisfy { $0 != "." && $0 != ".." } && (segments.count <= 2 || !segments.dropFirst().contains("")),
                "a normalised path with a dot or empty segment: \(String(reflecting: path))")
            check((try? RequestPath.normalize(path)) == path, "normalising \(String(reflecting: path)) again changes it")
            check(!path.split(separator: "?").first!.lowercased().contains("%2f"), "an encoded slash left in \(String(reflecting: path))")
        }
    }

    /// Traps with `message` when `condition` is false: a broken promise is reported like a crash.
    static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant: \(message())") }
    }
}
