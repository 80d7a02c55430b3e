import Foundation
import Logging
import Workflow

/// Where every window ends up: the explanation files in the output folder (`OutputStore`),
/// then each `WindowSink` in order. A sink that fails is logged and counted, and the others
/// are still told.
struct WindowOutputs: Sendable {
    let store: OutputStore
    let sinks: [any WindowSink]
    let metrics: DaemonMetrics
    let logger: Logger

    /// One explanation as written: its event (whose `document` names the JSON file), the
    /// JSON file and the document with its file names.
    struct Written: Sendable {
        let event: WindowEvent
        let json: URL
        let document: ExplanationDocument
    }

    /// Tells every sink of a classified window; those writing to the output folder are skipped
    /// while writes are paused.
    func classified(_ event: WindowEvent) {
        let paused = metrics.snapshot.diskPaused
        for sink in sinks where !(paused && sink.writesToOutputFolder) {
            deliver(to: sink) { try sink.classified(event) }
        }
    }

    /// Writes one explanation's files, counts them (and the window, for stream windows) and
    /// tells every sink.
    /// - Throws: when the files cannot be written (no sink is told then).
    func explained(
        _ result: WindowResult, source: String, time: Date, sampleIndex: Int, dbfs: Double, profilesOnly: Bool,
        writeInput: Bool, streamWindow: Bool
    ) throws -> Written {
        let written = try store.write(result, source: source, time: time, profilesOnly: profilesOnly, writeInput: writeInput)
        metrics.update {
            $0.bytesWritten += written.bytes
            if streamWindow { $0.windowsExplained += 1 }
        }
        let target = result.document.target
        let event = WindowEvent(
            sequence: 0, kind: .explained, time: time, source: source, sampleIndex: sampleIndex,
            prediction: target.label, probability: target.probability, dbfs: dbfs, decision: .explain,
            top: Dictionary(uniqueKeysWithValues: result.document.topClasses.map { ($0.label, $0.probability) }),
            document: store.relativePath(of: written.json))
        // The sinks see the document as written (with its files).
        var delivered = result
        delivered.document = written.document
        for sink in sinks { deliver(to: sink) { try sink.explained(event, result: delivered) } }
        return Written(event: event, json: written.json, document: written.document)
    }

    private func deliver(to sink: any WindowSink, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            metrics.update { $0.explanationsFailed += 1 }
            logger.error("cannot deliver a window", metadata: ["sink": "\(sink.name)", "error": "\(error)"])
        }
    }
}
