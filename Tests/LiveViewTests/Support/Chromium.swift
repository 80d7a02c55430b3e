import Foundation
import Glibc
import Synchronization

/// Headless Chromium driven through the DevTools protocol over pipes
/// (`--remote-debugging-pipe`): the browser reads commands from descriptor 3 and writes answers
/// and events to descriptor 4, each a JSON message ended by a NUL byte.
final class Chromium: Sendable {
    /// The browser executable on `PATH`, if any.
    static let executable: String? = {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") { return "\(folder)/\(name)" }
        }
        return nil
    }()

    private struct State {
        var nextID = 0
        /// Commands sent, waiting for their result (as JSON).
        var waiting: [Int: CheckedContinuation<Data, Error>] = [:]
        /// Events received, as JSON.
        var events: [Data] = []
        var closed = false
    }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let profile: URL
    private let state = Mutex(State())

    /// Starts the browser with a fresh profile.
    init() throws {
        guard let executable = Self.executable else { throw RawHTTP.Failure("chromium is not installed") }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("wam-chromium-\(UUID().uuidString)")
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw RawHTTP.Failure("pipe failed") }
        // Close-on-exec copies above descriptors 3 and 4, so that only the dup2 below reaches the browser.
        for index in 0..<2 {
            let (to, from) = (toBrowser[index], fromBrowser[index])
            toBrowser[index] = fcntl(to, F_DUPFD_CLOEXEC, 10)
            fromBrowser[index] = fcntl(from, F_DUPFD_CLOEXEC, 10)
            Glibc.close(to)
            Glibc.close(from)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // No sandbox (it needs user namespaces, often missing in CI containers; the page is our own)
        // and no /dev/shm (small in containers).
        let arguments = [
            executable, "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--remote-debugging-pipe",
            "--user-data-dir=\(profile.path)", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--mute-audio", "about:blank",
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, argv, environ)
        Glibc.close(toBrowser[0])
        Glibc.close(fromBrowser[1])
        guard spawned == 0 else { throw RawHTTP.Failure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        pid = child
        commands = toBrowser[1]
        answers = fromBrowser[0]
        let reader = Thread { [self] in readAnswers() }
        reader.start()
    }

    /// Sends a command (to a page when `session` is given) and returns its result.
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:], session: String? = nil) async throws -> [String: Any] {
        var message: [String: Any] = ["method": method, "params": params]
        if let session { message["sessionId"] = session }
        let result = try await send(message)
        return (try JSONSerialization.jsonObject(with: result) as? [String: Any]) ?? [:]
    }

    private func send(_ message: [String: Any]) async throws -> Data {
        var message = message
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        message["id"] = id
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0)
        return try await withCheckedThrowingContinuation { continuation in
            let open = state.withLock { state in
                if !state.closed { state.waiting[id] = continuation }
                return !state.closed
            }
            guard open else { return continuation.resume(throwing: RawHTTP.Failure("the browser is gone")) }
            let written = data.withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            if written != data.count {
                state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: RawHTTP.Failure("cannot write to the browser"))
            }
        }
    }

    /// The events received so far (`method`, `params`, `sessionId`).
    var events: [[String: Any]] {
        state.withLock { $0.events }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    /// Evaluates `expression` in the page and returns its value.
    func evaluate(_ expression: String, session: String) async throws -> Any? {
        let result = try await send(
            "Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true],
            session: session)
        if let exception = result["exceptionDetails"] { throw RawHTTP.Failure("\(expression): \(exception)") }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Closes the browser (killing it if it lingers) and removes its profile.
    func close() async {
        _ = try? await send("Browser.close")
        var exited = false
        for _ in 0..<50 where !exited {
            exited = reaped()
            if !exited { try? await Task.sleep(for: .milliseconds(100)) }
        }
        if !exited {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        Glibc.close(commands)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Whether the browser process has exited (and is reaped now).
    private func reaped() -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

    private func readAnswers() {
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(answers, &buffer, buffer.count)
            guard count > 0 else { break }
            pending.append(contentsOf: buffer[0..<count])
            while let end = pending.firstIndex(of: 0) {
                let message = (try? JSONSerialization.jsonObject(with: pending[pending.startIndex..<end])) as? [String: Any]
                pending = Data(pending[(end + 1)...])
                guard let message else { continue }
                if let id = message["id"] as? Int {
                    let continuation = state.withLock { $0.waiting.removeValue(forKey: id) }
                    if let error = message["error"] {
                        continuation?.resume(throwing: RawHTTP.Failure("\(error)"))
                    } else {
                        let result = (try? JSONSerialization.data(withJSONObject: message["result"] ?? [:])) ?? Data("{}".utf8)
                        continuation?.resume(returning: result)
                    }
                } else if let event = try? JSONSerialization.data(withJSONObject: message) {
                    state.withLock { $0.events.append(event) }
                }
            }
        }
        Glibc.close(answers)
        let orphans = state.withLock { state in
            state.closed = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in orphans { continuation.resume(throwing: RawHTTP.Failure("the browser closed the pipe")) }
    }
}
