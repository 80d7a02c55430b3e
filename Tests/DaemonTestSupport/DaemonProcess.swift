import Foundation

/// A `wamd` child process for end-to-end tests: arguments, environment, a pipe on its standard
/// input, its standard error collected, signals, and waiting with a timeout.
public final class DaemonProcess: @unchecked Sendable {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let model = root.appendingPathComponent("Samples/models/audio-resnet.onnx").path
    public static let stream = root.appendingPathComponent("Samples/audio/stream-40s.wav")

    public static var executable: URL {
        var directory = Bundle.main.bundleURL
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("wamd").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("wamd")
    }

    public let process = Process()
    public let input = Pipe()
    private let errors = Pipe()
    private let collected = NSLock()
    private var stderrText = ""

    /// Starts `executable` (wamd by default) with `arguments`; `environment` is added to this
    /// process's, without systemd's variables.
    public init(_ arguments: [String], environment: [String: String] = [:], executable: URL = DaemonProcess.executable) throws {
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "JOURNAL_STREAM")
        env.removeValue(forKey: "INVOCATION_ID")
        process.environment = env.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.collected.lock()
            self.stderrText += String(decoding: data, as: UTF8.self)
            self.collected.unlock()
        }
        try process.run()
    }

    /// A shell command line (e.g. `ulimit -n 256 && exec wamd ...`), run by /bin/sh.
    public static func shell(_ command: String, environment: [String: String] = [:]) throws -> DaemonProcess {
        try DaemonProcess(["-c", command], environment: environment, executable: URL(fileURLWithPath: "/bin/sh"))
    }

    /// Standard error so far.
    public var log: String {
        collected.lock()
        defer { collected.unlock() }
        return stderrText
    }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The process's peak resident memory so far (`VmHWM` of /proc/PID/status), while it runs.
    public var peakResidentKilobytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// Waits for the exit; returns its status, or nil on timeout (the process is then killed).
    public func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        Thread.sleep(forTimeInterval: 0.1)
        return process.terminationStatus
    }

    /// Waits for the exit without holding a thread of Swift's shared pool (other tests' servers
    /// need it); returns the status, or nil on timeout (the process is then killed).
    public func exit(timeout: TimeInterval) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            return nil
        }
        try? await Task.sleep(for: .milliseconds(100))
        return process.terminationStatus
    }

    /// Polls `condition` until it holds or `timeout` passes, without holding a pool thread.
    public static func waitUntil(timeout: TimeInterval = 60, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    /// Polls `condition` until it holds or `timeout` passes.
    public static func eventually(timeout: TimeInterval = 60, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }
}

/// What a daemon wrote into an output folder.
public struct OutputFolder: Sendable {
    public init(root: URL) { self.root = root }

    public let root: URL

    public var files: [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath }
    }

    public var documents: [[String: Any]] {
        files.filter { $0.pathExtension == "json" }.compactMap {
            try? JSONSerialization.jsonObject(with: Data(contentsOf: $0)) as? [String: Any]
        }
    }

    public var logLines: [[String: Any]] {
        files.filter { $0.lastPathComponent == "windows.jsonl" }.flatMap { url -> [[String: Any]] in
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }.sorted { ($0["sample_index"] as? Int ?? 0) < ($1["sample_index"] as? Int ?? 0) }
    }

    public var temporaryFiles: [URL] { files.filter { $0.lastPathComponent.hasSuffix(".tmp") } }
}

/// A fresh folder removed at the end.
public final class Scratch {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("wamd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The long sample as raw 16-bit little-endian PCM (what `arecord -t raw` sends).
public func rawStream() throws -> Data {
    let data = try Data(contentsOf: DaemonProcess.stream)
    return data.suffix(from: 44)
}
