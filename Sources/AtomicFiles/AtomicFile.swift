import Foundation

/// Why a file could not be put in place.
public struct AtomicFileError: Error, CustomStringConvertible, Equatable {
    /// The file that was to be written.
    public let file: String
    /// What went wrong.
    public let reason: String

    public var description: String { "\(file): \(reason)" }
}

/// Write-then-rename, so that a reader never sees a half-written file and a failed write leaves
/// the previous file (if any) untouched.
public enum AtomicFile {
    /// A fresh hidden temporary path beside `url` (same folder, so the final rename is atomic):
    /// `.<name>.<UUID>.tmp`.
    public static func temporary(beside url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    }

    /// The name of the file a temporary file named `name` was to become, if `name` is one of
    /// `temporary(beside:)`'s (left behind by a kill, a crash or a full disk).
    public static func target(ofTemporary name: String) -> String? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let inner = name.dropFirst().dropLast(4)
        guard let dot = inner.lastIndex(of: "."), UUID(uuidString: String(inner[inner.index(after: dot)...])) != nil else { return nil }
        let target = inner[..<dot]
        return target.isEmpty ? nil : String(target)
    }

    /// Writes `data` to a temporary file beside `url`, then renames it over `url`.
    public static func write(_ data: Data, to url: URL) throws(AtomicFileError) {
        let temporary = temporary(beside: url)
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw AtomicFileError(file: url.path, reason: "cannot write (\(FileErrorReason.describe(error)))")
        }
        try move(temporary, over: url)
    }

    /// Renames `temporary` over `url` (atomic on one file system); removes `temporary` when that fails.
    public static func move(_ temporary: URL, over url: URL) throws(AtomicFileError) {
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw AtomicFileError(file: url.path, reason: "cannot move the finished file into place (\(reason))")
        }
    }

    /// Flushes to disk every file directly in `folder`, then the folder itself, so that a folder
    /// renamed into place afterwards survives a power loss whole; false when one could not be
    /// flushed (`errno` says why).
    public static func syncContents(of folder: URL) -> Bool {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            guard sync(folder.appendingPathComponent(name).path) else { return false }
        }
        return sync(folder.path)
    }

    /// Flushes one file or folder to disk; false when it cannot be opened or flushed.
    @discardableResult
    public static func sync(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return fsync(descriptor) == 0
    }
}
