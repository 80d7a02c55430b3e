import Foundation
import Workflow

/// Why an uploaded recording was not explained.
public enum UploadError: Error, CustomStringConvertible, Equatable {
    /// Not audio that libsndfile can decode (with libsndfile's reason).
    case unreadable(String)
    /// The requested window is not one of the recording's windows.
    case noSuchWindow(requested: Int, count: Int)
    /// The recording has more windows than one request may explain.
    case tooManyWindows(count: Int, limit: Int)
    /// Free space is under the floor, so nothing is written.
    case diskPaused
    /// No window could be explained because of what they hold (NaN samples, non-finite model
    /// outputs); the first reason.
    case invalid(String)

    public var description: String {
        switch self {
        case let .unreadable(reason): reason
        case let .noSuchWindow(requested, count): "window \(requested) does not exist; the recording has windows 0...\(count - 1)"
        case let .tooManyWindows(count, limit):
            "the recording has \(count) windows; at most \(limit) are explained per request, choose one with ?window=N"
        case .diskPaused: "writes are paused: the output file system has less free space than output.min_free_bytes"
        case let .invalid(reason): reason
        }
    }
}

/// What an upload gave: the windows explained, and those left out because of what they hold.
public struct UploadOutcome: Sendable {
    public let windows: [UploadedWindow]
    public let skipped: [InvalidWindow]
}

/// One explained window of an uploaded recording.
public struct UploadedWindow: Sendable {
    /// The `explained` event the sinks were given for it (its `document` names the JSON file; its
    /// `sequence` is 0: the event hub numbers its own copy).
    public let event: WindowEvent
    /// The document as written (with its file names).
    public let document: ExplanationDocument
}

extension AttributionDaemon {
    /// The source name, and output folder, of uploaded recordings: `OUT/upload/<YYYY-MM-DD>/`.
    public static let uploadSource = "upload"

    /// Explains a recording sent to the daemon with the current settings: every window, or only
    /// `window`, written like the stream's explanations (always with the interpretation and
    /// input audio) and published as `explained` events of source `upload`.
    /// - Parameters:
    ///   - url: the recording (any libsndfile format, rate and channel count).
    ///   - name: the file name reported in the documents and errors.
    /// - Throws: `UploadError` for recordings that cannot be explained; other errors are failures.
    public func explainUpload(_ url: URL, name: String, window: Int?, maxWindows: Int) throws -> UploadOutcome {
        guard !metrics.snapshot.diskPaused else { throw UploadError.diskPaused }
        let settings = currentConfiguration
        func unreadable(_ error: any Error) -> UploadError { .unreadable("\(error)".replacingOccurrences(of: url.path, with: name)) }
        // Windows are decoded one at a time: memory stays at a window whatever the recording's length.
        let reader: InputReader
        do {
            reader = try InputReader(url: url, exampleShape: model.inputShape, sampleRate: Double(settings.modelRate), hop: nil)
        } catch {
            throw unreadable(error)
        }
        let announced = reader.signal.windowCount
        if window == nil, announced > maxWindows { throw UploadError.tooManyWindows(count: announced, limit: maxWindows) }
        let explainer = currentExplainer, received = Date()
        var explained: [UploadedWindow] = [], skipped: [InvalidWindow] = [], seen = 0
        var carrier = StateCarrier(classifier: model)
        while var next = try { () throws(UploadError) -> InputWindow? in
            do { return try reader.next() } catch { throw unreadable(error) }
        }() {
            seen += 1
            try carrier.enter(&next)  // a stateful model's state runs through every window, chosen or not
            if let window, next.index != window { continue }
            if window == nil, seen > maxWindows { throw UploadError.tooManyWindows(count: seen, limit: maxWindows) }
            var result: WindowResult
            do {
                result = try explainer.explain(next, of: reader.signal)
            } catch let invalid as InvalidWindow {
                skipped.append(invalid)
                if window != nil { break }
                continue
            }
            result.document.input.file = name
            let time = received.addingTimeInterval(Double(next.startSample) / Double(settings.modelRate))
            let written = try outputs.explained(
                result, source: Self.uploadSource, time: time, sampleIndex: next.startSample,
                dbfs: ExplanationGate.dbfs(next.samples), profilesOnly: false, writeInput: true, streamWindow: false)
            explained.append(UploadedWindow(event: written.event, document: written.document))
            if window != nil { break }
        }
        if let window, explained.isEmpty && skipped.isEmpty { throw UploadError.noSuchWindow(requested: window, count: seen) }
        if explained.isEmpty, let first = skipped.first {
            throw UploadError.invalid("\(first)".replacingOccurrences(of: url.path, with: name))
        }
        return UploadOutcome(windows: explained, skipped: skipped)
    }
}
