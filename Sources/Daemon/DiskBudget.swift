import AtomicFiles
import Foundation
import Glibc

/// Keeps the output folder within a byte limit and a retention age: explanations (a stem's
/// `.json`, `.wav`, `_input.wav`) and day logs are deleted oldest first, except the newest
/// `keepNewestPerClass` explanations of every class and today's logs.
///
/// It only ever counts or deletes files it can prove are wamd's own (`OwnFiles`): inside
/// `<root>/<source>/<YYYY-MM-DD>/`, explanation files named as `OutputStore` names them, the
/// day's `windows.jsonl`, and the temporary files of interrupted writes. Anything else under the
/// root (a user's files, other folders, symbolic links) is left alone, and links are never
/// followed. `root` must be the resolved output folder (no symbolic links in its path).
struct DiskBudget: Sendable {
    let root: URL
    let maxBytes: Int
    let maxAge: TimeInterval
    let keepNewestPerClass: Int

    /// A deletable unit: the files of one explanation, or one day's log.
    struct Unit {
        let files: [URL]
        let bytes: Int
        let modified: Date
        /// The explained class, nil for logs.
        let label: String?
    }

    /// Deletes what the budget requires; returns the files and bytes deleted and the bytes left.
    func enforce(now: Date = Date()) -> (files: Int, bytes: Int, remaining: Int) {
        let units = scan().sorted { $0.modified < $1.modified }
        var total = units.reduce(0) { $0 + $1.bytes }
        var protected = Set<Int>()
        var perClass: [String: Int] = [:]
        for (index, unit) in units.enumerated().reversed() {
            guard let label = unit.label else {
                if Calendar.current.isDate(unit.modified, inSameDayAs: now) { protected.insert(index) }
                continue
            }
            perClass[label, default: 0] += 1
            if perClass[label]! <= keepNewestPerClass { protected.insert(index) }
        }
        var deletedFiles = 0, deletedBytes = 0
        for (index, unit) in units.enumerated() {
            let tooOld = maxAge > 0 && now.timeIntervalSince(unit.modified) > maxAge
            let overBudget = maxBytes > 0 && total > maxBytes
            if !protected.contains(index) && (tooOld || overBudget) {
                for file in unit.files where unlink(file.path) == 0 { deletedFiles += 1 }
                deletedBytes += unit.bytes
                total -= unit.bytes
            }
        }
        removeEmptyDayFolders(now: now)
        return (deletedFiles, deletedBytes, total)
    }

    /// The deletable units under the root.
    func scan() -> [Unit] {
        var groups: [URL: [(URL, FileFacts)]] = [:]
        var logs: [(URL, FileFacts)] = []
        for day in OwnFiles.dayFolders(in: root) {
            for (name, facts) in OwnFiles.regularFiles(in: day) {
                let url = day.appendingPathComponent(name)
                if name == OwnFiles.windowLog {
                    logs.append((url, facts))
                } else if let stem = OwnFiles.explanationStem(name) {
                    groups[day.appendingPathComponent(stem), default: []].append((url, facts))
                }
            }
        }
        let explanations = groups.map { stem, files in
            Unit(
                files: files.map(\.0), bytes: files.reduce(0) { $0 + $1.1.bytes },
                modified: files.map(\.1.modified).max() ?? .distantPast, label: OwnFiles.label(ofStem: stem.lastPathComponent))
        }
        return explanations + logs.map { Unit(files: [$0.0], bytes: $0.1.bytes, modified: $0.1.modified, label: nil) }
    }

    /// Deletes the temporary files of interrupted writes (a kill, a crash, a full disk) in the
    /// day folders; returns how many. Only safe while nothing writes (at start).
    func removeStaleTemporaries() -> Int {
        var removed = 0
        for day in OwnFiles.dayFolders(in: root) {
            for (name, _) in OwnFiles.regularFiles(in: day, hidden: true) {
                guard let target = AtomicFile.target(ofTemporary: name),
                    target == OwnFiles.windowLog || OwnFiles.explanationStem(target) != nil
                else { continue }
                if unlink(day.appendingPathComponent(name).path) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// Removes day folders left empty, except recent ones (a writer may have just created one).
    private func removeEmptyDayFolders(now: Date) {
        for day in OwnFiles.dayFolders(in: root) {
            guard let facts = OwnFiles.facts(of: day.path), now.timeIntervalSince(facts.modified) > 3600,
                (try? FileManager.default.contentsOfDirectory(atPath: day.path))?.isEmpty == true
            else { continue }
            rmdir(day.path)
        }
    }
}

/// Size and modification time of a file, read without following links.
struct FileFacts {
    let bytes: Int
    let modified: Date
    let isRegular: Bool
    let isDirectory: Bool
}

/// What wamd writes under its output folder, and how to recognise it: `<source>/<YYYY-MM-DD>/`
/// day folders (`<source>` named as `isSourceFolder` says) holding `<HHmmss.SSS>_<class>_<p.pp>.json|.wav|_input.wav` and `windows.jsonl`.
enum OwnFiles {
    static let windowLog = "windows.jsonl"
    static let suffixes = [".json", "_input.wav", ".wav"]

    /// Whether `name` is one wamd gives a source's folder (`OutputStore.folderName` of a stream
    /// name): `file-…`, `alsa-…`, `stdin` or `upload`. A user's `Music/2026-01-01/` is none.
    static func isSourceFolder(_ name: String) -> Bool {
        name == "stdin" || name == AttributionDaemon.uploadSource || name.hasPrefix("file-") || name.hasPrefix("alsa-")
    }

    /// The day folders: `<root>/<source folder>/<YYYY-MM-DD>`, real folders only.
    static func dayFolders(in root: URL) -> [URL] {
        folders(in: root).filter(isSourceFolder).flatMap { source in
            let folder = root.appendingPathComponent(source)
            return folders(in: folder).filter(isDay).map { folder.appendingPathComponent($0) }
        }
    }

    /// The regular files of `folder` (not links), with their facts; hidden ones only when asked.
    static func regularFiles(in folder: URL, hidden: Bool = false) -> [(String, FileFacts)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).compactMap { name in
            guard name.hasPrefix(".") == hidden, let facts = facts(of: folder.appendingPathComponent(name).path), facts.isRegular else {
                return nil
            }
            return (name, facts)
        }
    }

    /// The stem of an explanation file name, nil for any other name.
    static func explanationStem(_ name: String) -> String? {
        guard let suffix = suffixes.first(where: name.hasSuffix) else { return nil }
        let stem = String(name.dropLast(suffix.count))
        return label(ofStem: stem) == nil ? nil : stem
    }

    /// The class part of a stem `HHmmss.SSS_<class>_p.pp`, nil when `stem` is not one.
    static func label(ofStem stem: String) -> String? {
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count >= 3, let first = parts.first, let last = parts.last else { return nil }
        let clock = Array(first.utf8), p = Array(last.utf8)
        let digit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard clock.count == 10, clock[6] == UInt8(ascii: "."), clock.enumerated().allSatisfy({ $0.offset == 6 || digit($0.element) }),
            p.count == 4, p[1] == UInt8(ascii: "."), digit(p[0]), digit(p[2]), digit(p[3])
        else { return nil }
        let label = parts[1..<(parts.count - 1)].joined(separator: "_")
        guard !label.isEmpty,
            label.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) })
        else { return nil }
        return label
    }

    static func isDay(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
            && bytes.enumerated().allSatisfy { [4, 7].contains($0.offset) || ($0.element >= 48 && $0.element <= 57) }
    }

    /// The real subfolders of `folder` (not links), by name.
    private static func folders(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { facts(of: folder.appendingPathComponent($0).path)?.isDirectory == true }
    }

    /// `lstat` of `path`.
    static func facts(of path: String) -> FileFacts? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        let kind = status.st_mode & S_IFMT
        return FileFacts(
            bytes: Int(status.st_size),
            modified: Date(timeIntervalSince1970: Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9),
            isRegular: kind == S_IFREG, isDirectory: kind == S_IFDIR)
    }
}
