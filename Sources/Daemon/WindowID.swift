import Foundation

/// The id of an explained window in the live view's API and in MQTT links:
/// `<source>~<YYYY-MM-DD>~<stem>` for `OUT/<source>/<YYYY-MM-DD>/<stem>.json`. Each part is
/// letters, digits, `.`, `_` and `-`, with no leading dot (so no `..`, no `/`, no absolute path).
public enum WindowID {
    /// The id of the document at `path` relative to the output folder (as events name it).
    public static func of(document path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasSuffix(".json") else { return nil }
        let id = "\(parts[0])~\(parts[1])~\(parts[2].dropLast(5))"
        return components(of: id) == nil ? nil : id
    }

    /// The source folder, day and stem of a well-formed id.
    public static func components(of id: String) -> (source: Substring, day: Substring, stem: Substring)? {
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
}
