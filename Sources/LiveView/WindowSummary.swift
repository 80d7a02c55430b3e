import Daemon
import Foundation

/// One window as the API lists it and streams it: an event of the daemon plus, for
/// explanations, the window's id and the links to its files.
struct WindowSummary: Encodable, Sendable {
    struct ClassProbability: Encodable, Sendable {
        let label: String
        let probability: Double
    }

    struct Links: Encodable, Sendable {
        let document: String
        let interpretationWav: String?
        let inputWav: String?
        let scalogramPng: String
    }

    let sequence: Int
    let kind: WindowEvent.Kind
    let time: Date
    let source: String
    let sampleIndex: Int
    let prediction: String
    let probability: Double
    let dbfs: Double
    let decision: GateDecision
    /// The most likely classes, most likely first.
    let top: [ClassProbability]
    let id: String?
    let links: Links?

    init(_ event: WindowEvent, files: WindowFiles) {
        (sequence, kind, time, source, sampleIndex) = (event.sequence, event.kind, event.time, event.source, event.sampleIndex)
        (prediction, probability, dbfs, decision) = (event.prediction, event.probability, event.dbfs, event.decision)
        top = event.top.map { ClassProbability(label: $0.key, probability: $0.value) }
            .sorted { ($0.probability, $1.label) > ($1.probability, $0.label) }
        id = event.document.flatMap(WindowID.of(document:))
        links = id.map { id in
            let base = "/api/v1/windows/\(id)"
            return Links(
                document: base,
                interpretationWav: files.has(id, .interpretation) ? base + "/interpretation.wav" : nil,
                inputWav: files.has(id, .input) ? base + "/input.wav" : nil,
                scalogramPng: base + "/scalogram.png")
        }
    }
}
