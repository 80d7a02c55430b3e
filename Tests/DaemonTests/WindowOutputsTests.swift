import Foundation
import Logging
import Synchronization
import Testing

@testable import Daemon

/// A sink that keeps what it is told, or fails every time.
private final class RecordingSink: WindowSink {
    let name: String
    let writesToOutputFolder: Bool
    let fails: Bool
    let received = Mutex<[WindowEvent]>([])

    init(name: String, writesToOutputFolder: Bool, fails: Bool = false) {
        (self.name, self.writesToOutputFolder, self.fails) = (name, writesToOutputFolder, fails)
    }

    struct Refused: Error {}

    func classified(_ event: WindowEvent) throws {
        if fails { throw Refused() }
        received.withLock { $0.append(event) }
    }
}

@Suite struct WindowOutputsTests {
    static func event(_ index: Int) -> WindowEvent {
        WindowEvent(
            sequence: 0, kind: .classified, time: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)), source: "file:a.wav",
            sampleIndex: index * 16000, prediction: "dog", probability: 0.9, dbfs: -20, decision: .unlikely,
            top: ["dog": 0.9], document: nil)
    }

    /// A store in a new temporary folder.
    static func store() throws -> OutputStore {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return OutputStore(root: root)
    }

    func outputs(_ sinks: [any WindowSink], metrics: DaemonMetrics, store: OutputStore? = nil) throws -> WindowOutputs {
        WindowOutputs(
            store: try store ?? Self.store(), sinks: sinks, metrics: metrics, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    @Test("every sink is told of every window in order; a failing sink is counted and does not stop the others")
    func failingSink() throws {
        let metrics = DaemonMetrics()
        let first = RecordingSink(name: "first", writesToOutputFolder: false)
        let broken = RecordingSink(name: "broken", writesToOutputFolder: false, fails: true)
        let last = RecordingSink(name: "last", writesToOutputFolder: true)
        let outputs = try outputs([first, broken, last], metrics: metrics)
        for index in 0..<3 { outputs.classified(Self.event(index)) }
        #expect(first.received.withLock { $0.map(\.sampleIndex) } == [0, 16000, 32000])
        #expect(last.received.withLock { $0.map(\.sampleIndex) } == [0, 16000, 32000])
        #expect(metrics.snapshot.explanationsFailed == 3)
    }

    @Test("while writes are paused, sinks writing to the output folder are skipped and the others still told")
    func pausedWrites() throws {
        let metrics = DaemonMetrics()
        let folder = RecordingSink(name: "folder", writesToOutputFolder: true)
        let live = RecordingSink(name: "live", writesToOutputFolder: false)
        let store = try Self.store()
        let outputs = try outputs([folder, live, WindowLogSink(store: store, metrics: metrics)], metrics: metrics, store: store)
        metrics.update { $0.diskPaused = true }
        outputs.classified(Self.event(0))
        metrics.update { $0.diskPaused = false }
        outputs.classified(Self.event(1))
        #expect(folder.received.withLock { $0.map(\.sampleIndex) } == [16000])
        #expect(live.received.withLock { $0.map(\.sampleIndex) } == [0, 16000])
        #expect(metrics.snapshot.bytesWritten > 0)
    }

    @Test("the window log sink writes one JSON line per window into the day's windows.jsonl")
    func windowLog() throws {
        let metrics = DaemonMetrics()
        let store = try Self.store()
        let outputs = try outputs([WindowLogSink(store: store, metrics: metrics)], metrics: metrics, store: store)
        for index in 0..<2 { outputs.classified(Self.event(index)) }
        let log = try store.dayFolder(source: "file:a.wav", time: Self.event(0).time).appendingPathComponent("windows.jsonl")
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].contains("\"sample_index\":16000"))
        #expect(lines[0].contains("\"decision\":\"unlikely\""))
        #expect(metrics.snapshot.bytesWritten == lines.reduce(0) { $0 + $1.utf8.count + 1 })
    }
}
