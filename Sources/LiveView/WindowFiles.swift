import Foundation
import Glibc
import Hummingbird

/// The files of explained windows, addressed by id: `<source>~<YYYY-MM-DD>~<stem>` names
/// `OUT/<source>/<YYYY-MM-DD>/<stem>.json` and its `<stem>.wav` and `<stem>_input.wav`.
///
/// No request path reaches the file system unchecked: an id must match that grammar (letters,
/// digits, `.`, `_`, `-`; no leading dot, so no `..`, no `/`, no absolute path), and the file,
/// with every symbolic link resolved, must be a regular file strictly inside the output folder.
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

    /// The id of the document at `path` relative to the output folder (as events name it).
    package static func id(document path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasSuffix(".json") else { return nil }
        let id = "\(parts[0])~\(parts[1])~\(parts[2].dropLast(5))"
        return components(of: id) == nil ? nil : id
    }

    /// The source folder, day and stem of a well-formed id.
    package static func components(of id: String) -> (source: Substring, day: Substring, stem: Substring)? {
        let parts = id.split(separator: "~", omittingEmptySubsequences: false)
        guard id.utf8.count <= 400, parts.count == 3, parts.allSatisfy(isSafeName) else { return nil }
        let day = parts[1].map { $0 }
        guard day.count == 10, day[4] == "-", day[7] == "-",
            day.enumerated().allSatisfy({ [4, 7].contains($0.offset) || $0.element.isASCII && $0.element.isNumber })
        else { return nil }
        return (parts[0], parts[1], parts[2])
    }

    private static func isSafeName(_ name: Substring) -> Bool {
        !name.isEmpty && name.first != "."
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
            }
    }

    /// The file of `kind` of window `id`.
    /// - Throws: 400 for a malformed id, 404 when the file does not exist (or lies outside the
    ///   output folder).
    func file(_ id: String, _ kind: Kind) throws(APIError) -> URL {
        guard let (source, day, stem) = Self.components(of: id) else {
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
