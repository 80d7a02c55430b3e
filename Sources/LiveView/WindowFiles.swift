import Daemon
import Foundation
import Glibc
import Hummingbird

/// The files of explained windows, addressed by id (`WindowID`): `<source>~<YYYY-MM-DD>~<stem>`
/// names `OUT/<source>/<YYYY-MM-DD>/<stem>.json` and its `<stem>.wav` and `<stem>_input.wav`.
///
/// No request path reaches the file system unchecked: an id must match the grammar of
/// `WindowID`, and the file, with every symbolic link resolved, must be a regular file strictly
/// inside the output folder.
package struct WindowFiles: Sendable {
    /// The files of one explained window.
    enum Kind: Sendable {
        case document, interpretation, input

        var suffix: String {
            switch self {
            case .document: ".json"
            case .interpretation: ".wav"
            case .input: "_input.wav"
            }
        }
    }

    let root: URL

    /// The file of `kind` of window `id`.
    /// - Throws: 400 for a malformed id, 404 when the file does not exist (or lies outside the
    ///   output folder).
    func file(_ id: String, _ kind: Kind) throws(APIError) -> URL {
        guard let (source, day, stem) = WindowID.components(of: id) else {
            throw APIError(.badRequest, "malformed window id \"\(id.prefix(80))\"; ids look like source~YYYY-MM-DD~stem")
        }
        let candidate = root.appendingPathComponent(String(source)).appendingPathComponent(String(day))
            .appendingPathComponent(stem + kind.suffix)
        guard let folder = Self.resolved(root.path), let file = Self.resolved(candidate.path), file.hasPrefix(folder + "/") else {
            throw APIError(.notFound, "no \(kind.suffix) file for window \(id)")
        }
        var status = stat()
        guard stat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw APIError(.notFound, "no \(kind.suffix) file for window \(id)")
        }
        return URL(fileURLWithPath: file)
    }

    /// Whether window `id` has a file of `kind`.
    func has(_ id: String, _ kind: Kind) -> Bool {
        (try? file(id, kind)) != nil
    }

    /// `path` with every symbolic link resolved, or nil when it does not exist.
    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
