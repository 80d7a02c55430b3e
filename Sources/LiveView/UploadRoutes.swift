import AtomicFiles
import Daemon
import Foundation
import Glibc
import Hummingbird
import NIOCore
import Synchronization
import Workflow

/// `POST /api/v1/explain`: the daemon as an explanation service. The body is a recording (any
/// format libsndfile reads), either raw (`Content-Type: audio/...` or
/// `application/octet-stream`) or as the `file` field of a `multipart/form-data` form. Every
/// window is explained (or only `?window=N`) with the daemon's settings and written under
/// `OUT/upload/`; the answer holds each window's id, links and document, and the windows left
/// out because of what they hold.
///
/// A raw body may name its file with `Content-Disposition: attachment; filename="x.wav"`.
///
/// Memory stays bounded whatever clients send: an upload is admitted (or refused with 503)
/// before its body is read; the body streams to a private temporary folder under the output
/// folder (`OUT/.uploads/`), at most `max_upload_bytes`; its windows are decoded one at a time.
///
/// Refusals: 400 malformed request, 413 too large, 415 content type, 422 not decodable audio or
/// unsuitable windows, 503 busy or writes paused.
struct UploadRoutes: Sendable {
    let daemon: AttributionDaemon
    let files: WindowFiles
    let exporter: MetricsExporter
    let settings: LiveViewSettings
    let queue: UploadQueue

    /// Admits a bounded number of uploads, and explains one at a time off Swift's cooperative
    /// threads.
    final class UploadQueue: Sendable {
        private let pending = Mutex(0)
        private let worker = DispatchQueue(label: "wamd-uploads")

        /// A place among the uploads being received, explained or waiting; freed when dropped.
        final class Admission: Sendable {
            fileprivate let owner: UploadQueue

            fileprivate init(owner: UploadQueue) {
                self.owner = owner
            }

            deinit { owner.pending.withLock { $0 -= 1 } }
        }

        /// A place if fewer than `limit` uploads hold one.
        func admit(limit: Int) -> Admission? {
            let admitted = pending.withLock { count in
                guard count < limit else { return false }
                count += 1
                return true
            }
            return admitted ? Admission(owner: self) : nil
        }

        /// Runs `work` when the uploads before it are done.
        func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
            try await withCheckedThrowingContinuation { continuation in
                worker.async { continuation.resume(with: Result { try work() }) }
            }
        }
    }

    func register(on router: Endpoints) {
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

    /// A window left out, and why.
    struct SkippedWindow: Encodable, Sendable {
        let index: Int
        let startSample: Int
        let reason: String
    }

    struct Answer: Encodable, Sendable {
        let windows: [ExplainedWindow]
        let skipped: [SkippedWindow]
    }

    /// How the body comes: its media type and, for forms, the full `Content-Type` (boundary).
    private struct BodyKind {
        let isForm: Bool
        let contentType: String
    }

    private func explain(_ request: Request) async throws -> Response {
        let window = try request.uri.queryParameters.get("window").map { text throws(APIError) in
            guard let value = Int(text), value >= 0 else { throw APIError(.badRequest, "window must be an integer of 0 or more, got \"\(text)\"") }
            return value
        }
        let kind = try bodyKind(request)
        guard let admission = queue.admit(limit: settings.maxPendingUploads) else {
            throw APIError(
                .serviceUnavailable, "busy explaining other uploads; try again later",
                headers: [.retryAfter: "5", .connection: "close"])
        }
        guard !daemon.metrics.snapshot.diskPaused else {
            throw APIError(.serviceUnavailable, UploadError.diskPaused.description, headers: [.retryAfter: "60", .connection: "close"])
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let body = folder.appendingPathComponent("body")
        try await receive(request.body, to: body, limit: kind.isForm ? settings.maxUploadBytes + 64 * 1024 : settings.maxUploadBytes)
        let (name, audio) =
            try kind.isForm
            ? extractFile(from: body, contentType: kind.contentType, into: folder)
            : (Self.displayName(request.headers[.contentDisposition].flatMap { MultipartFile.parameter("filename", in: $0) }), body)
        let (daemon, limit) = (daemon, settings.maxUploadWindows)
        let outcome: UploadOutcome = try await queue.run {
            withExtendedLifetime(admission) {}
            do {
                return try daemon.explainUpload(audio, name: name, window: window, maxWindows: limit)
            } catch let error as UploadError {
                throw APIError(error == .diskPaused ? .serviceUnavailable : .unprocessableContent, error.description)
            } catch {
                throw APIError(.internalServerError, "the explanation failed: \(error)")
            }
        }
        let windows = outcome.windows.map { uploaded in
            let summary = WindowSummary(uploaded.event, files: files)
            return ExplainedWindow(id: summary.id, links: summary.links, document: uploaded.document)
        }
        let skipped = outcome.skipped.map { SkippedWindow(index: $0.index, startSample: $0.startSample, reason: $0.reason) }
        return try APIResponse.json(Answer(windows: windows, skipped: skipped))
    }

    /// Checks the announced length and the content type before anything is read.
    private func bodyKind(_ request: Request) throws(APIError) -> BodyKind {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > settings.maxUploadBytes + 64 * 1024 { throw tooLarge }
        let type = request.headers[.contentType] ?? ""
        let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let isForm = media == "multipart/form-data"
        guard isForm || media.hasPrefix("audio/") || media == "application/octet-stream" else {
            throw APIError(
                .unsupportedMediaType,
                "send the recording as multipart/form-data (field \"file\") or as the raw body "
                    + "with Content-Type audio/wav (any audio/* type) or application/octet-stream; got \"\(type)\"")
        }
        return BodyKind(isForm: isForm, contentType: type)
    }

    private var tooLarge: APIError {
        APIError(
            .contentTooLarge, "the upload is larger than http.max_upload_bytes = \(settings.maxUploadBytes) bytes",
            headers: [.connection: "close"])
    }

    /// A new private folder for one upload under `OUT/.uploads/` (removed by the caller; left
    /// ones are removed when wamd starts).
    private func temporaryFolder() throws -> URL {
        let folder = daemon.uploadsFolder.appendingPathComponent(UUID().uuidString)
        do {
            try FileManager.default.createDirectory(
                at: daemon.uploadsFolder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw APIError(.internalServerError, "cannot store the upload: \(FileErrorReason.describe(error))")
        }
        return folder
    }

    /// Streams `body` into `file`, refusing it (413) past `limit` bytes.
    private func receive(_ body: RequestBody, to file: URL, limit: Int) async throws {
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw APIError(.internalServerError, "cannot store the upload: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var received = 0
        for try await buffer in body {
            received += buffer.readableBytes
            guard received <= limit else { throw tooLarge }
            try buffer.withUnsafeReadableBytes { bytes throws(APIError) in
                var offset = 0
                while offset < bytes.count {
                    let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    guard written > 0 else {
                        throw APIError(
                            errno == ENOSPC ? .serviceUnavailable : .internalServerError,
                            "cannot store the upload: \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
            }
        }
        guard received > 0 else { throw APIError(.badRequest, "the upload is empty") }
    }

    /// The form's file part, written to its own file; returns its display name and location.
    private func extractFile(from body: URL, contentType: String, into folder: URL) throws -> (name: String, url: URL) {
        let file: MultipartFile
        do {
            // Mapped, not read: the part is written out from the page cache.
            file = try MultipartFile(body: Data(contentsOf: body, options: .alwaysMapped), contentType: contentType)
        } catch let malformed as MultipartFile.Malformed {
            throw APIError(.badRequest, malformed.description)
        }
        guard file.data.count <= settings.maxUploadBytes else { throw tooLarge }
        guard !file.data.isEmpty else { throw APIError(.badRequest, "the upload is empty") }
        let audio = folder.appendingPathComponent("upload.audio")
        guard FileManager.default.createFile(atPath: audio.path, contents: file.data, attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, "cannot store the upload")
        }
        return (Self.displayName(file.filename), audio)
    }

    /// A file name safe to show and store: the last path component, letters, digits, `.`, `_`
    /// and `-` only, at most 100 characters; `upload` when nothing is left.
    static func displayName(_ name: String?) -> String {
        let last = name?.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let safe = String(
            last.unicodeScalars.filter { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
                .prefix(100).map(Character.init))
        return safe.trimmingCharacters(in: CharacterSet(charactersIn: ".")).isEmpty ? "upload" : safe
    }
}
