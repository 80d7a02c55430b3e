import Foundation

/// Runs a built executable of the package (`wam`, `wam-bench`) and captures what it prints.
struct WamProcess {
    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    /// The executable `name` next to the test bundle.
    static func executable(named name: String) -> URL {
        // On Linux the test bundle runs from the build products folder, where the executables are built too.
        var directory = Bundle.main.bundleURL
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent(name)
    }

    /// Runs `program` (wam unless said) with `arguments`, through `wrapper` (e.g. `/usr/bin/time -f ...`) when given,
    /// with `environment` set over the test's.
    static func run(
        _ arguments: [String], program: String = "wam", through wrapper: [String] = [], environment: [String: String] = [:]
    ) throws -> Result {
        let executable = executable(named: program)
        let process = Process()
        process.executableURL = wrapper.first.map { URL(fileURLWithPath: $0) } ?? executable
        process.arguments = wrapper.isEmpty ? arguments : Array(wrapper.dropFirst()) + [executable.path] + arguments
        let output = Pipe(), error = Pipe()
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            error: String(decoding: err, as: UTF8.self))
    }
}

/// A fresh temporary folder per test, removed at the end.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("wam-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
