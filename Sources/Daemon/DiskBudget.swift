import Foundation

/// Keeps the output folder within a byte limit and a retention age: explanations (a stem's
/// `.json`, `.wav`, `_input.wav`) and day logs are deleted oldest first, except the newest
/// `keepNewestPerClass` explanations of every class and today's logs.
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
                for file in unit.files where (try? FileManager.default.removeItem(at: file)) != nil { deletedFiles += 1 }
                deletedBytes += unit.bytes
                total -= unit.bytes
            }
        }
        removeEmptyFolders(now: now)
        return (deletedFiles, deletedBytes, total)
    }

    /// The deletable units under the root.
    func scan() -> [Unit] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey]) else {
            return []
        }
        var groups: [URL: [URL]] = [:]
        var logs: [URL] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let name = url.lastPathComponent
            if name.hasPrefix(".") { continue }
            if name == "windows.jsonl" { logs.append(url); continue }
            var stem = url.deletingPathExtension().lastPathComponent
            if stem.hasSuffix("_input") { stem.removeLast("_input".count) }
            groups[url.deletingLastPathComponent().appendingPathComponent(stem), default: []].append(url)
        }
        func attributes(_ files: [URL]) -> (Int, Date) {
            var bytes = 0, newest = Date.distantPast
            for file in files {
                let values = try? file.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey])
                bytes += values?.fileSize ?? 0
                newest = max(newest, values?.contentModificationDate ?? .distantPast)
            }
            return (bytes, newest)
        }
        let explanations = groups.map { stem, files -> Unit in
            let (bytes, modified) = attributes(files)
            let parts = stem.lastPathComponent.split(separator: "_")
            let label = parts.count >= 3 ? parts[1..<(parts.count - 1)].joined(separator: "_") : stem.lastPathComponent
            return Unit(files: files, bytes: bytes, modified: modified, label: label)
        }
        return explanations + logs.map { log in
            let (bytes, modified) = attributes([log])
            return Unit(files: [log], bytes: bytes, modified: modified, label: nil)
        }
    }

    /// Removes day folders left empty, except recent ones (a writer may have just created one).
    private func removeEmptyFolders(now: Date) {
        guard let sources = try? FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil) else { return }
        for source in sources {
            for day in (try? FileManager.default.contentsOfDirectory(at: source, includingPropertiesForKeys: [.contentModificationDateKey])) ?? [] {
                let modified = (try? day.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? now
                if now.timeIntervalSince(modified) > 3600, (try? FileManager.default.contentsOfDirectory(atPath: day.path))?.isEmpty == true {
                    try? FileManager.default.removeItem(at: day)
                }
            }
        }
    }
}
