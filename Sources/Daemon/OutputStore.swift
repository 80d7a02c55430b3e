import AudioIO
import Foundation
import Workflow

/// Where the daemon's files go: `OUT/<source>/<YYYY-MM-DD>/<time>_<class>_<p>.{json,wav}` (and
/// `_input.wav`), plus `windows.jsonl`, one line per classified window, in each day's folder.
/// Every explanation file is written to a temporary name and renamed.
struct OutputStore: Sendable {
    let root: URL

    /// Longest name part (a source folder, a class in a stem) before it is cut and hashed.
    static let maxNameLength = 64

    /// A file-system-safe name for a source or a class (`alsa:plughw:1,0` becomes
    /// `alsa-plughw-1-0`): letters, digits, `.`, `_`, `-`; names longer than `maxNameLength`
    /// keep their start and end with a hash of the whole, so distinct names stay distinct and
    /// every file name stays well under the file system's limit.
    static func folderName(_ source: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        let mapped = String(source.map { allowed.contains($0) ? $0 : "-" })
        let trimmed = mapped.trimmingCharacters(in: CharacterSet(charactersIn: "-."))
        guard !trimmed.isEmpty else { return "source" }
        guard trimmed.count > maxNameLength else { return trimmed }
        return String(trimmed.prefix(maxNameLength - 17)) + "-" + StableHash.hex(source)
    }

    func dayFolder(source: String, time: Date) throws -> URL {
        let folder = root.appendingPathComponent(Self.folderName(source)).appendingPathComponent(Self.day.string(from: time))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The stem of an explanation's files, e.g. `143015.250_piano_0.93`.
    static func stem(time: Date, label: String, probability: Double) -> String {
        "\(clock.string(from: time))_\(folderName(label))_\(String(format: "%.2f", probability))"
    }

    /// Writes one explanation; returns the bytes written, the JSON's path and the document as written.
    func write(
        _ result: WindowResult, source: String, time: Date, profilesOnly: Bool,
        writeInput: Bool
    ) throws -> (bytes: Int, json: URL, document: ExplanationDocument) {
        let folder = try dayFolder(source: source, time: time)
        let stem = Self.stem(time: time, label: result.document.target.label, probability: result.document.target.probability)
        var writer = try ResultWriter(folder: folder)
        writer.writeAudio = !profilesOnly
        writer.writeInputAudio = writeInput && !profilesOnly
        writer.writePicture = false
        let document = try writer.write(result, stem: stem) { preconditionFailure("pictures are not written by the daemon") }
        let written = [document.files.json, document.files.interpretationWav, document.files.inputWav].compactMap { $0 }
        let bytes = written.reduce(0) { total, name in
            total + ((try? folder.appendingPathComponent(name).resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
        }
        return (bytes, folder.appendingPathComponent("\(stem).json"), document)
    }

    /// The path of `file`, a file under `root`, relative to `root` (as events name documents).
    func relativePath(of file: URL) -> String {
        String(file.path.dropFirst(root.path.count + 1))
    }

    /// Appends one line to the day's `windows.jsonl`; returns the bytes written.
    func log(_ line: WindowLogLine, source: String) throws -> Int {
        let folder = try dayFolder(source: source, time: line.time)
        let url = folder.appendingPathComponent("windows.jsonl")
        var data = try Self.lineEncoder.encode(line)
        data.append(0x0A)
        if !FileManager.default.fileExists(atPath: url.path), !FileManager.default.createFile(atPath: url.path, contents: nil) {
            throw WorkflowError(source: url.path, reason: "cannot create the window log")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
        return data.count
    }

    /// Free bytes on the output file system.
    func freeBytes() -> Int {
        var stats = statvfs()
        guard statvfs(root.path, &stats) == 0 else { return Int.max }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    static let lineEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    static let day: DateFormatter = formatter("yyyy-MM-dd")
    static let clock: DateFormatter = formatter("HHmmss.SSS")

    private static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }
}

/// One line of `windows.jsonl`: every classified window, explained or not.
struct WindowLogLine: Codable, Sendable, Equatable {
    var time: Date
    var source: String
    var sampleIndex: Int
    var dbfs: Double
    var prediction: String
    var probability: Double
    var decision: GateDecision
    /// Top three classes with their probabilities.
    var top: [String: Double]
}
