/// The one normal form of a request target's path, fixed before any access decision or routing:
/// both see the same string, so no spelling of a path reaches a route the access rule judged
/// as another path.
///
/// - Runs of `/` collapse into one and a trailing `/` goes (`//api//v1/` is `/api/v1`): the
///   router ignores empty segments, so the access rule must too.
/// - Refused: targets not starting with `/` (absolute or authority form, `*`), dot segments
///   (`.`, `..`), percent-encoded `/`, `\`, `.` and NUL, raw backslashes and control
///   characters, and malformed percent escapes. No route needs any of them.
/// - The query (after the first `?`) is kept as sent.
package enum RequestPath {
    /// Why a target was refused.
    package struct Refusal: Error, Equatable, CustomStringConvertible {
        package let description: String
    }

    /// The normal form of `target` (a request's path and query, as sent).
    package static func normalize(_ target: String) throws(Refusal) -> String {
        let split = target.firstIndex(of: "?")
        let path = split.map { target[..<$0] } ?? target[...]
        let query = split.map { target[$0...] } ?? ""
        guard path.first == "/" else { throw Refusal(description: "the request target must be a path starting with /") }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." || segment == ".." { throw Refusal(description: "dot segments (. and ..) are not allowed in paths") }
            try checkCharacters(segment)
            segments.append(segment)
        }
        return "/" + segments.joined(separator: "/") + query
    }

    /// Refuses characters and escapes no route uses and some file systems or proxies interpret.
    private static func checkCharacters(_ segment: Substring) throws(Refusal) {
        var bytes = segment.utf8.makeIterator()
        while let byte = bytes.next() {
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") {
                throw Refusal(description: "control characters and backslashes are not allowed in paths")
            }
            guard byte == UInt8(ascii: "%") else { continue }
            guard let high = bytes.next().flatMap(hexValue), let low = bytes.next().flatMap(hexValue) else {
                throw Refusal(description: "malformed percent escape in the path")
            }
            let decoded = high << 4 | low
            if decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") || decoded == UInt8(ascii: ".") || decoded < 0x20 {
                throw Refusal(description: "encoded slashes, backslashes, dots and control characters are not allowed in paths")
            }
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
