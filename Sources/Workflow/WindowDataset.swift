import AtomicFiles
import AudioIO
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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
        let audio: AudioBuffer
        do {
            let inputURL = documentURL.deletingLastPathComponent().appendingPathComponent(inputName)
            try Self.checkRegularFile(inputURL, atMost: Self.maximumInputBytes, "the input window's WAV")
            audio = try AudioFile.read(inputURL)
        } catch {
            throw WorkflowError(source: documentURL.path, reason: "its input window: \(error)")
        }
        let classFolder = folder.appendingPathComponent(label, isDirectory: true)
        let destination = classFolder.appendingPathComponent(Self.fileName(for: document))
        if FileManager.default.fileExists(atPath: destination.path) { return .alreadyThere(destination) }
        do {
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError(source: classFolder.path, reason: "cannot create the class folder (\(FileErrorReason.describe(error)))")
        }
        try AudioFile.writeWAV(audio.downmixed(), sampleRate: Int(audio.sampleRate), to: destination)
        return .added(destination)
    }

    /// Throws unless `label` can be a class folder's name (wamtrain's rule too): 1 to 100
    /// characters and at most 255 bytes, no `/` or `\\`, no control characters, no surrounding
    /// spaces, not starting with a dot (hidden folders are not read).
    public static func checkLabel(_ label: String) throws(WorkflowError) {
        guard label.count <= 100, label.utf8.count <= 255, isPlainName(label), !label.contains("\\"),
            label.trimmingCharacters(in: .whitespaces) == label
        else {
            throw WorkflowError(
                source: "--label '\(label)'",
                reason: "expected a class name: 1 to 100 characters, no '/' or '\\', no control characters, "
                    + "no surrounding spaces, not starting with '.'")
        }
    }

    /// One path component that names a visible file: no `/`, no control characters or line
    /// separators, no leading dot.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/")
            && !name.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) || CharacterSet.newlines.contains($0) }
    }

    /// The largest input window read (a minute of 48 kHz stereo 32-bit audio is 23 MB).
    static let maximumInputBytes = 64 << 20

    /// Throws unless `url` is a regular file (after links) of at most `limit` bytes: a FIFO or
    /// device would block or never end.
    static func checkRegularFile(_ url: URL, atMost limit: Int, _ expected: String) throws(WorkflowError) {
        do {
            try RegularFile.check(url.path, atMost: limit)
        } catch {
            throw WorkflowError(source: url.path, reason: "\(error); expected \(expected)")
        }
    }

    static func readDocument(_ url: URL) throws -> ExplanationDocument {
        let data: Data
        do {
            data = try RegularFile.read(url.path, atMost: maximumDocumentBytes)
        } catch {
            throw WorkflowError(source: url.path, reason: "\(error); expected a window's document (.json)")
        }
        do {
            return try ExplanationDocument.decode(data)
        } catch {
            throw WorkflowError(source: url.path, reason: "is not an explanation document written by wam or wamd")
        }
    }

    /// `<source>_<start time>-<hash>.wav` for a daemon window, `<input file>_w<window index>-<hash>.wav`
    /// otherwise: every character but ASCII letters, digits, `.`, `_` and `-` replaced by `-`, at
    /// most 100 of them, and a hash of the name before that, so that windows whose names differ
    /// only in what was replaced (another folder, another alphabet) stay apart.
    static func fileName(for document: ExplanationDocument) -> String {
        let key: String
        let stem: String
        if let stream = document.stream {
            key = "stream\u{0}\(stream.source)\u{0}\(stream.startTime)"
            stem = "\(stream.source)_\(stream.startTime)"
        } else {
            key = "file\u{0}\(document.input.file)\u{0}\(document.input.windowIndex)"
            let input = URL(fileURLWithPath: document.input.file).deletingPathExtension().lastPathComponent
            stem = "\(document.input.file.isEmpty ? "window" : input)_w\(document.input.windowIndex)"
        }
        let safe = String(
            stem.unicodeScalars.prefix(100).map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "-"
            })
        let hash = StableHash.hex(key).prefix(12)
        return (safe.hasPrefix(".") ? "-" + safe.dropFirst() : safe) + "-\(hash).wav"
    }
}
