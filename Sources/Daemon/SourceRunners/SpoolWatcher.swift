import Foundation
import Glibc
import Logging

/// Watches a folder for finished recordings (inotify: closed after writing, or moved in) and
/// processes each exactly once: it is moved to `processing/` (an atomic rename), read, then moved
/// to `done/` once its explanations are all written, or to `failed/`. A file whose reading was
/// interrupted (a stop, a crash) stays in `processing/` and is read again from the start at the
/// next start (its explanation files keep their names, as their times come from the file's
/// modification date). While `canTake` says no (writes paused for lack of space) no new file is
/// taken; the folder is scanned again when it says yes.
struct SpoolWatcher {
    let folder: URL
    let logger: Logger

    var processing: URL { folder.appendingPathComponent("processing") }
    var done: URL { folder.appendingPathComponent("done") }
    var failed: URL { folder.appendingPathComponent("failed") }

    /// Runs until `stop()`; `idle()` is called about twice a second; `process` reads a file and
    /// says how that ended.
    func run(stop: () -> Bool, idle: () -> Void, canTake: () -> Bool, process: (URL) -> FileOutcome) {
        do {
            for sub in [processing, done, failed] { try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true) }
        } catch {
            logger.error("cannot prepare the spool folder", metadata: ["folder": "\(folder.path)", "error": "\(error)"])
            return
        }
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0, inotify_add_watch(descriptor, folder.path, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)) >= 0 else {
            logger.error("cannot watch the spool folder", metadata: ["folder": "\(folder.path)", "error": "\(String(cString: strerror(errno)))"])
            return
        }
        defer { close(descriptor) }
        for leftover in files(in: processing) where !stop() { finish(leftover, process: process) }
        var rescan = true
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stop() {
            idle()
            if rescan && canTake() {
                rescan = false
                for waiting in files(in: folder) where !stop() && canTake() { take(waiting, process: process) }
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 500) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            for name in Self.names(in: buffer[0..<count]) where !stop() {
                let url = folder.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                // Left where it is while writes are paused; the scan after the pause takes it.
                if canTake() { take(url, process: process) } else { rescan = true }
            }
        }
    }

    /// Moves a new file into `processing/`, then reads it.
    private func take(_ url: URL, process: (URL) -> FileOutcome) {
        let claimed = processing.appendingPathComponent(url.lastPathComponent)
        guard rename(url.path, claimed.path) == 0 else { return }
        finish(claimed, process: process)
    }

    private func finish(_ claimed: URL, process: (URL) -> FileOutcome) {
        let outcome = process(claimed)
        if outcome == .interrupted {
            logger.notice("spool file interrupted; read again at the next start", metadata: ["file": "\(claimed.path)"])
            return
        }
        let target = unusedName(for: claimed.lastPathComponent, in: outcome == .done ? done : failed)
        if rename(claimed.path, target.path) != 0 {
            logger.error("cannot move a processed file", metadata: ["file": "\(claimed.path)"])
        }
        if case let .failed(reason) = outcome {
            logger.error("spool file failed", metadata: ["file": "\(target.path)", "error": "\(reason)"])
        } else {
            logger.info("spool file done", metadata: ["file": "\(target.path)"])
        }
    }

    private func unusedName(for name: String, in folder: URL) -> URL {
        var candidate = folder.appendingPathComponent(name)
        var counter = 1
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = folder.appendingPathComponent("\(counter)-\(name)")
            counter += 1
        }
        return candidate
    }

    /// Regular, visible files of `folder`, by name.
    private func files(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isRegularFileKey])) ?? [])
            .filter { !$0.lastPathComponent.hasPrefix(".") && (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// File names in a buffer of `inotify_event` records.
    static func names(in bytes: ArraySlice<UInt8>) -> [String] {
        var names: [String] = []
        var offset = bytes.startIndex
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= bytes.endIndex {
            let length = bytes[(offset + 12)..<(offset + 16)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let nameBytes = bytes[(offset + header)..<min(bytes.endIndex, offset + header + length)].prefix { $0 != 0 }
            if let name = String(bytes: nameBytes, encoding: .utf8), !name.isEmpty, !name.hasPrefix(".") { names.append(name) }
            offset += header + length
        }
        return names
    }
}
