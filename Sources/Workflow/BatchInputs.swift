import AtomicFiles
import AudioIO
import Crypto
import Foundation

/// The inputs of a batch, in a fixed order, and how they are cut into shards.
public struct BatchInputs: Sendable {
    /// The input files: absolute paths, each once, in manifest order (or sorted, for a folder).
    public let paths: [String]
    /// Notes on what was left out (repeated lines, files of other kinds), for the user.
    public let notes: [String]

    /// The file extensions `--data` takes: what libsndfile reads, and PNG images and `.npy` arrays.
    public static let extensions: Set<String> = [
        "wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "snd", "caf", "w64", "rf64", "png", "npy",
    ]

    /// The largest manifest read.
    public static let maximumManifestBytes = 256 << 20

    /// The files a manifest lists, one path per line (blank lines and lines starting with `#`
    /// skipped; relative paths taken from the manifest's folder).
    public init(manifest: String) throws(WorkflowError) {
        let data: Data
        do {
            data = try RegularFile.read(manifest, atMost: Self.maximumManifestBytes)
        } catch {
            throw WorkflowError(source: manifest, reason: "\(error); expected a manifest, one input path per line")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WorkflowError(source: manifest, reason: "is not UTF-8 text; expected one input path per line")
        }
        let folder = URL(fileURLWithPath: manifest).deletingLastPathComponent()
        // Keyed by bytes: two names that differ only in Unicode normalisation are two files.
        var paths: [String] = [], firstLine: [Data: Int] = [:], repeated: [String] = []
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty, !line.hasPrefix("#") else { continue }
            let path = URL(fileURLWithPath: String(line), relativeTo: folder).standardizedFileURL.path
            if let first = firstLine[Data(path.utf8)] {
                repeated.append("line \(number + 1) repeats line \(first)")
                continue
            }
            firstLine[Data(path.utf8)] = number + 1
            paths.append(path)
        }
        guard !paths.isEmpty else { throw WorkflowError(source: manifest, reason: "lists no inputs; expected one input path per line") }
        self.paths = paths
        notes = repeated.isEmpty ? [] : ["\(manifest): \(repeated.count) repeated line(s) left out (\(repeated.prefix(3).joined(separator: ", ")))"]
    }

    /// The files under `folder` with one of `extensions` (hidden files and folders skipped, and
    /// `excluding`, the batch's output folder, when it is inside), sorted by path.
    public init(folder: String, excluding output: URL? = nil) throws(WorkflowError) {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WorkflowError(source: folder, reason: "is not a folder; expected a folder of inputs for --data")
        }
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { throw WorkflowError(source: folder, reason: "cannot be read") }
        var paths: [String] = [], others = 0
        let skipped = output.map { $0.standardizedFileURL.path }
        for case let url as URL in walker {
            if url.standardizedFileURL.path == skipped {
                walker.skipDescendants()
                continue
            }
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            if Self.extensions.contains(url.pathExtension.lowercased()) { paths.append(url.standardizedFileURL.path) } else { others += 1 }
        }
        guard !paths.isEmpty else {
            throw WorkflowError(source: folder, reason: "holds no inputs (files ending in \(Self.extensions.sorted().joined(separator: ", ")))")
        }
        self.paths = paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        notes = others == 0 ? [] : ["\(folder): \(others) file(s) of other kinds left out"]
    }

    /// A digest of the list and the durations the plan was made from: shards of one batch must
    /// share it, or an input changed between them could land in two shards or none.
    public static func digest(paths: [String], durations: [Double?]) -> String {
        var hash = SHA256()
        for (path, duration) in zip(paths, durations) { hash.update(data: Data("\(path)\u{0}\(duration.map { "\($0)" } ?? "-")\n".utf8)) }
        return StableHash.hex(bytes: hash.finalize())
    }

    /// The duration in seconds of each input whose header says it (audio), nil otherwise.
    public func durations() -> [Double?] {
        paths.map { path in
            guard URL(fileURLWithPath: path).pathExtension.lowercased() != "png", !path.lowercased().hasSuffix(".npy"),
                (try? RegularFile.check(path, atMost: Int.max)) != nil,  // a FIFO would block the header read
                let reader = try? AudioFileReader(url: URL(fileURLWithPath: path)), reader.sampleRate > 0,
                reader.frameCount > 0, reader.frameCount < Int(Int32.max) * 64
            else { return nil }
            return Double(reader.frameCount) / reader.sampleRate
        }
    }

    /// The shard of each input: longest first, each to the shard with the least work so far
    /// (ties to the lower shard), an input of unknown length counted as the mean known length.
    /// The same inputs and count always give the same assignment.
    public static func assign(durations: [Double?], shards: Int) -> [Int] {
        let known = durations.compactMap { $0 }
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        let work = durations.map { $0 ?? fallback }
        let order = work.indices.sorted { work[$0] != work[$1] ? work[$0] > work[$1] : $0 < $1 }
        var load = [Double](repeating: 0, count: shards), shardOf = [Int](repeating: 0, count: work.count)
        for input in order {
            let shard = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
            shardOf[input] = shard
            load[shard] += work[input]
        }
        return shardOf
    }

    /// The SHA-256 of a file's bytes, read in pieces; the file must be a regular file.
    public static func contentHash(of path: String) throws(WorkflowError) -> String {
        do {
            try RegularFile.check(path, atMost: Int.max)
        } catch {
            throw WorkflowError(source: path, reason: "\(error)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw WorkflowError(source: path, reason: "cannot be opened") }
        defer { try? handle.close() }
        var hash = SHA256()
        do {
            while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty { hash.update(data: piece) }
        } catch {
            throw WorkflowError(source: path, reason: "cannot be read (\(FileErrorReason.describe(error)))")
        }
        return StableHash.hex(bytes: hash.finalize())
    }
}
