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

    public var description: String {
        switch self {
        case let .unreadable(reason): reason
        case let .noSuchWindow(requested, count): "window \(requested) does not exist; the recording has windows 0...\(count - 1)"
        case let .tooManyWindows(count, limit):
            "the recording has \(count) windows; at most \(limit) are explained per request, choose one with ?window=N"
        case .diskPaused: "writes are paused: the output file system has less free space than output.min_free_bytes"
        }
    }
}

/// One explained window of an uploaded recording.
public struct UploadedWindow: Sendable {
    /// The `explained` event published for it (its `document` names the JSON file).
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
    public func explainUpload(_ url: URL, name: String, window: Int?, maxWindows: Int) throws -> [UploadedWindow] {
        guard !metrics.snapshot.diskPaused else { throw UploadError.diskPaused }
        let settings = currentConfiguration
        let input: InputSignal
        do {
            input = try InputSignal(url: url, exampleShape: model.inputShape, sampleRate: Double(settings.modelRate), hop: nil)
        } catch {
            throw UploadError.unreadable("\(error)".replacingOccurrences(of: url.path, with: name))
        }
        let chosen: [InputWindow]
        if let window {
            guard input.windows.indices.contains(window) else { throw UploadError.noSuchWindow(requested: window, count: input.windows.count) }
            chosen = [input.windows[window]]
        } else {
            guard input.windows.count <= maxWindows else { throw UploadError.tooManyWindows(count: input.windows.count, limit: maxWindows) }
            chosen = input.windows
        }
        let explainer = currentExplainer, received = Date()
        return try chosen.map { inputWindow in
            var result = try explainer.explain(inputWindow, of: input)
            result.document.input.file = name
            let time = received.addingTimeInterval(Double(inputWindow.startSample) / Double(settings.modelRate))
            let written = try publish(result, source: Self.uploadSource, time: time, sampleIndex: inputWindow.startSample,
                                      dbfs: ExplanationGate.dbfs(inputWindow.samples), profilesOnly: false, writeInput: true,
                                      streamWindow: false)
            return UploadedWindow(event: written.event, document: written.document)
        }
    }
}
