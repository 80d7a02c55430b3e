import Daemon
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Workflow

/// `POST /api/v1/explain`: the daemon as an explanation service. The body is a recording (any
/// format libsndfile reads), either raw (`Content-Type: audio/...` or
/// `application/octet-stream`) or as the `file` field of a `multipart/form-data` form. Every
/// window is explained (or only `?window=N`) with the daemon's settings and written under
/// `OUT/upload/`; the answer holds each window's id, links and document.
///
/// A raw body may name its file with `Content-Disposition: attachment; filename="x.wav"`.
///
/// Refusals: 400 malformed request, 413 too large, 415 content type, 422 not decodable audio or
/// unsuitable windows, 503 busy or writes paused.
struct UploadRoutes: Sendable {
    let daemon: AttributionDaemon
    let files: WindowFiles
    let exporter: MetricsExporter
    let settings: LiveViewSettings
    let queue: UploadQueue

    /// Explains one upload at a time, off Swift's cooperative threads; a bounded number wait.
    final class UploadQueue: Sendable {
        private let pending = Mutex(0)
        private let worker = DispatchQueue(label: "wamd-uploads")

        /// Runs `work` when the uploads before it are done, or throws 503 when `limit` are
        /// already running or waiting.
        func run<Value: Sendable>(limit: Int, _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
            let admitted = pending.withLock { count in
                guard count < limit else { return false }
                count += 1
                return true
            }
            guard admitted else {
                throw APIError(.serviceUnavailable, "busy explaining other uploads; try again later", headers: [.retryAfter: "5"])
            }
            defer { pending.withLock { $0 -= 1 } }
            return try await withCheckedThrowingContinuation { continuation in
                worker.async { continuation.resume(with: Result { try work() }) }
            }
        }
    }

    func register(on router: Router<LiveRequestContext>) {
        router.post("/api/v1/explain") { request, _ in
            do {
                let response = try await explain(request)
                exporter.countUpload(.explained)
                return response
            } catch let error as APIError {
                exporter.countUpload(error.status.code >= 500 && error.status != .serviceUnavailable ? .failed : .rejected)
                throw error
            }
        }
    }

    /// One explained window in the answer.
    struct ExplainedWindow: Encodable, Sendable {
        let id: String?
        let links: WindowSummary.Links?
        let document: ExplanationDocument
    }

    struct Answer: Encodable, Sendable {
        let windows: [ExplainedWindow]
    }

    private func explain(_ request: Request) async throws -> Response {
        let window = try request.uri.queryParameters.get("window").map { text throws(APIError) in
            guard let value = Int(text), value >= 0 else { throw APIError(.badRequest, "window must be an integer of 0 or more, got \"\(text)\"") }
            return value
        }
        let (name, audio) = try await upload(request)
        let (daemon, limit) = (daemon, settings.maxUploadWindows)
        let explained: [UploadedWindow] = try await queue.run(limit: settings.maxPendingUploads) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wamd-upload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: folder) }
            let url = folder.appendingPathComponent("upload.audio")
            try audio.write(to: url)
            do {
                return try daemon.explainUpload(url, name: name, window: window, maxWindows: limit)
            } catch let error as UploadError {
                throw APIError(error == .diskPaused ? .serviceUnavailable : .unprocessableContent, error.description)
            } catch {
                throw APIError(.internalServerError, "the explanation failed: \(error)")
            }
        }
        let windows = explained.map { uploaded in
            let summary = WindowSummary(uploaded.event, files: files)
            return ExplainedWindow(id: summary.id, links: summary.links, document: uploaded.document)
        }
        return try APIResponse.json(Answer(windows: windows))
    }

    /// The uploaded file's name (for the documents) and bytes.
    private func upload(_ request: Request) async throws -> (name: String, data: Data) {
        let limit = settings.maxUploadBytes
        let tooLarge = APIError(.contentTooLarge, "the upload is larger than http.max_upload_bytes = \(limit) bytes",
                                headers: [.connection: "close"])
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit + 64 * 1024 { throw tooLarge }
        let type = request.headers[.contentType] ?? ""
        let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let isForm = media == "multipart/form-data"
        guard isForm || media.hasPrefix("audio/") || media == "application/octet-stream" else {
            throw APIError(.unsupportedMediaType, "send the recording as multipart/form-data (field \"file\") or as the raw body "
                            + "with Content-Type audio/wav (any audio/* type) or application/octet-stream; got \"\(type)\"")
        }
        let body: ByteBuffer
        do {
            // A form carries some framing around the file.
            body = try await request.body.collect(upTo: isForm ? limit + 64 * 1024 : limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        let bytes = Data(buffer: body)
        let file: MultipartFile
        if isForm {
            do { file = try MultipartFile(body: bytes, contentType: type) } catch { throw APIError(.badRequest, error.description) }
            guard file.data.count <= limit else { throw tooLarge }
        } else {
            file = MultipartFile(filename: request.headers[.contentDisposition].flatMap { MultipartFile.parameter("filename", in: $0) },
                                 data: bytes)
        }
        guard !file.data.isEmpty else { throw APIError(.badRequest, "the upload is empty") }
        return (Self.displayName(file.filename), file.data)
    }

    /// A file name safe to show and store: the last path component, letters, digits, `.`, `_`
    /// and `-` only, at most 100 characters; `upload` when nothing is left.
    static func displayName(_ name: String?) -> String {
        let last = name?.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let safe = String(last.unicodeScalars.filter { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
            .prefix(100).map(Character.init))
        return safe.trimmingCharacters(in: CharacterSet(charactersIn: ".")).isEmpty ? "upload" : safe
    }
}
