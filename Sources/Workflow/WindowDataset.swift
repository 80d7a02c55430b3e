import AtomicFiles
import AudioIO
import Foundation

/// A folder of labelled recordings, one subfolder per class, as `wam eval --data` and wamtrain
/// (`Training/`) read it, grown from explained windows: the input window that wamd
/// (`explain.write_input = true`) or `wam explain --input-audio` kept next to a window's document
/// is copied into `<folder>/<label>/`.
public struct WindowDataset: Sendable {
    /// What adding one window did.
    public enum Outcome: Equatable, Sendable {
        case added(URL)
        /// A file of that name is there already (the same window, added before); left as it is.
        case alreadyThere(URL)
    }

    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// The largest document read (a window's document is a few hundred kilobytes at most).
    static let maximumDocumentBytes = 16 << 20

    /// Copies the input window of the document at `documentURL` into the class folder `label`,
    /// named after where and when the window was heard; refuses a label that is not one plain
    /// folder name and a document whose input file is not a plain name beside it.
    public func add(documentAt documentURL: URL, label: String) throws -> Outcome {
        try Self.checkLabel(label)
        let document = try Self.readDocument(documentURL)
        guard let inputName = document.files.inputWav else {
            throw WorkflowError(
                source: documentURL.path,
                reason: "has no input window beside it; wamd keeps them with explain.write_input = true, "
                    + "wam explain with --input-audio")
        }
        guard Self.isPlainName(inputName) else {
            throw WorkflowError(source: documentURL.path, reason: "names its input window '\(inputName)', which is not a file name beside it")
        }
        let audio = try AudioFile.read(documentURL.deletingLastPathComponent().appendingPathComponent(inputName))
        let classFolder = folder.appendingPathComponent(label, isDirectory: true)
        let destination = classFolder.appendingPathComponent(Self.fileName(for: document, documentURL: documentURL))
        if FileManager.default.fileExists(atPath: destination.path) { return .alreadyThere(destination) }
        do {
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError(source: classFolder.path, reason: "cannot create the class folder (\(error.localizedDescription))")
        }
        try AudioFile.writeWAV(audio.downmixed(), sampleRate: Int(audio.sampleRate), to: destination)
        return .added(destination)
    }

    /// Throws unless `label` can be a class folder's name: not empty, at most 100 characters, no
    /// `/`, no control characters, not starting with a dot (hidden folders are not read).
    public static func checkLabel(_ label: String) throws(WorkflowError) {
        guard !label.isEmpty, label.count <= 100, isPlainName(label) else {
            throw WorkflowError(
                source: "--label '\(label)'",
                reason: "expected a class name: 1 to 100 characters, no '/', no control characters, not starting with '.'")
        }
    }

    /// One path component that names a visible file: no `/`, no control characters, no leading dot.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/")
            && !name.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
    }

    static func readDocument(_ url: URL) throws -> ExplanationDocument {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumDocumentBytes + 1) ?? Data()
        } catch {
            throw WorkflowError(source: url.path, reason: "cannot be read (\(FileErrorReason.describe(error)))")
        }
        guard data.count <= maximumDocumentBytes else {
            throw WorkflowError(source: url.path, reason: "is larger than a window's document can be (\(maximumDocumentBytes >> 20) MiB)")
        }
        do {
            return try ExplanationDocument.decode(data)
        } catch {
            throw WorkflowError(source: url.path, reason: "is not an explanation document written by wam or wamd")
        }
    }

    /// `<source>_<start time>.wav` for a daemon window, `<input file>_<window index>.wav` otherwise,
    /// with every character but letters, digits, `.`, `_` and `-` replaced by `-`.
    static func fileName(for document: ExplanationDocument, documentURL: URL) -> String {
        let stem: String
        if let stream = document.stream {
            stem = "\(stream.source)_\(stream.startTime)"
        } else {
            let input = URL(fileURLWithPath: document.input.file).deletingPathExtension().lastPathComponent
            stem = "\(input)_w\(document.input.windowIndex)"
        }
        let safe = String(
            stem.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "-"
            })
        return (safe.hasPrefix(".") ? "-" + safe.dropFirst() : safe) + ".wav"
    }
}
