import Foundation
import Workflow

/// Appends every classified window to the day's `windows.jsonl` in the output folder.
struct WindowLogSink: WindowSink {
    let store: OutputStore
    let metrics: DaemonMetrics

    var name: String { "window log" }
    var writesToOutputFolder: Bool { true }

    func classified(_ event: WindowEvent) throws {
        let line = WindowLogLine(
            time: event.time, source: event.source, sampleIndex: event.sampleIndex, dbfs: event.dbfs,
            prediction: event.prediction, probability: event.probability, decision: event.decision, top: event.top)
        let bytes = try store.log(line, source: event.source)
        metrics.update { $0.bytesWritten += bytes }
    }
}
