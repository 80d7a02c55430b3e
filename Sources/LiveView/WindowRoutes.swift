import AudioIO
import Daemon
import Foundation
import Hummingbird
import Rendering
import Workflow

/// `GET /api/v1/windows` (recent windows, newest first) and, per explained window,
/// `GET /api/v1/windows/{id}` (its JSON document), `.../interpretation.wav`, `.../input.wav`
/// and `.../scalogram.png` (rendered on request from the document and the audio files).
struct WindowRoutes: Sendable {
    let daemon: AttributionDaemon
    let files: WindowFiles

    /// Windows listed at most per request.
    static let maxLimit = 2000

    func register(on router: Endpoints) {
        router.get("/api/v1/windows") { request, _ in try list(request.uri.queryParameters) }
        router.get("/api/v1/windows/:id") { _, context in
            try serve(try context.parameters.require("id"), .document, type: "application/json")
        }
        router.get("/api/v1/windows/:id/interpretation.wav") { _, context in
            try serve(try context.parameters.require("id"), .interpretation, type: "audio/wav")
        }
        router.get("/api/v1/windows/:id/input.wav") { _, context in
            try serve(try context.parameters.require("id"), .input, type: "audio/wav")
        }
        router.get("/api/v1/windows/:id/scalogram.png") { _, context in
            try scalogram(try context.parameters.require("id"))
        }
    }

    struct Listing: Encodable, Sendable {
        let windows: [WindowSummary]
    }

    private func list(_ query: Parameters) throws -> Response {
        let limit: Int
        if let text = query.get("limit") {
            guard let value = Int(text), (1...Self.maxLimit).contains(value) else {
                throw APIError(.badRequest, "limit must be an integer in 1...\(Self.maxLimit), got \"\(text)\"")
            }
            limit = value
        } else {
            limit = 100
        }
        let label = query.get("class")
        if let label, !daemon.labels.contains(label) {
            throw APIError(.badRequest, "unknown class \"\(label)\"; the model's classes are " + daemon.labels.joined(separator: ", "))
        }
        var since: Int64?
        if let text = query.get("since") {
            guard let time = APITime.parse(text) else {
                throw APIError(.badRequest, "since must be an ISO 8601 time such as 2025-01-31T12:00:00Z, got \"\(text)\"")
            }
            since = time
        }
        let kind = try Self.kind(query)
        let events = daemon.events.recent(limit: limit, kind: kind, prediction: label) { event in
            since.map { APITime.milliseconds(event.time) > $0 } ?? true
        }
        var response = try APIResponse.json(Listing(windows: events.map { WindowSummary($0, files: files) }))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The `kind` query parameter (`classified` or `explained`), if present.
    static func kind(_ query: Parameters) throws(APIError) -> WindowEvent.Kind? {
        guard let text = query.get("kind") else { return nil }
        guard let kind = WindowEvent.Kind(rawValue: text) else {
            throw APIError(.badRequest, "kind must be classified or explained, got \"\(text)\"")
        }
        return kind
    }

    /// A stored file of a window; explanations never change, so clients may cache them.
    private func serve(_ id: String, _ kind: WindowFiles.Kind, type: String) throws -> Response {
        let url = try files.file(id, kind)
        guard let data = try? Data(contentsOf: url) else { throw APIError(.notFound, "window \(id) was just deleted") }
        return APIResponse.bytes(data, type: type, headers: [.cacheControl: "private, max-age=86400, immutable"])
    }

    /// The waveform over the scalogram, as `wam explain` draws it.
    private func scalogram(_ id: String) throws -> Response {
        let documentURL = try files.file(id, .document)
        let document: ExplanationDocument
        do {
            document = try ExplanationDocument.decode(Data(contentsOf: documentURL))
        } catch {
            throw APIError(.unprocessableContent, "window \(id) has an unreadable document")
        }
        let input = (try? files.file(id, .input)).flatMap { try? AudioFile.read($0).samples }
        let interpretation = (try? files.file(id, .interpretation)).flatMap { try? AudioFile.read($0).samples }
        let waveform = input ?? interpretation ?? [Float](repeating: 0, count: document.input.windowLength)
        guard let plot = document.audioPlot(input: waveform, interpretation: input == nil ? nil : interpretation) else {
            throw APIError(.notFound, "window \(id) has no scalogram")
        }
        return APIResponse.bytes(
            PNGCodec.encode(plot.render()), type: "image/png",
            headers: [.cacheControl: "private, max-age=86400, immutable"])
    }
}
