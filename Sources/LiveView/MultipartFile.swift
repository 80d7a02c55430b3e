import Foundation

/// The file part of a `multipart/form-data` body (RFC 7578), as browsers and `curl -F` send it.
package struct MultipartFile: Sendable, Equatable {
    /// The part's `filename`, if any.
    package let filename: String?
    /// The part's bytes, a slice of the body (indices are the body's).
    package let data: Data

    /// Why a body is not a usable form.
    package struct Malformed: Error, CustomStringConvertible, Equatable {
        package let description: String
    }

    /// The part named `field`, else the first part with a file name.
    /// - Parameters:
    ///   - contentType: the request's `Content-Type`, holding the boundary.
    /// - Throws: `Malformed` when there is no boundary, the parts are not delimited by it, or
    ///   there is no file part.
    package init(body: Data, contentType: String, field: String = "file") throws(Malformed) {
        guard let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.count <= 70 else {
            throw Malformed(description: "multipart/form-data without a boundary parameter")
        }
        let delimiter = Data("--\(boundary)".utf8), separator = Data("\r\n\r\n".utf8)
        guard var cursor = body.range(of: delimiter)?.upperBound else {
            throw Malformed(description: "the body does not contain the boundary \"\(boundary)\"")
        }
        var fallback: MultipartFile?
        while true {
            guard body[cursor...].starts(with: Data("\r\n".utf8)) else { break }  // "--" after the last part
            guard let headerEnd = body.range(of: separator, in: cursor..<body.endIndex),
                let next = body.range(of: Data("\r\n".utf8) + delimiter, in: headerEnd.upperBound..<body.endIndex)
            else {
                throw Malformed(description: "a part is not terminated by the boundary")
            }
            // A part may have no header lines at all: its blank line then starts at `cursor`.
            let headers = String(decoding: body[min(cursor + 2, headerEnd.lowerBound)..<headerEnd.lowerBound], as: UTF8.self)
            let disposition = headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-disposition:") }.map(String.init) ?? ""
            // A slice: no copy of the part (the body may be a mapped file).
            let part = MultipartFile(filename: Self.parameter("filename", in: disposition), slice: body[headerEnd.upperBound..<next.lowerBound])
            if Self.parameter("name", in: disposition) == field {
                self = part
                return
            }
            if fallback == nil && part.filename != nil { fallback = part }
            cursor = next.upperBound
        }
        guard let fallback else { throw Malformed(description: "no file part; send the audio in a form field named \"\(field)\"") }
        self = fallback
    }

    private init(filename: String?, slice: Data) {
        self.filename = filename
        data = slice
    }

    /// The value of `name=value` or `name="value"` among the `;`-separated parameters of a header.
    package static func parameter(_ name: String, in header: String) -> String? {
        for item in header.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            let value = pair[1]
            return value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? String(value.dropFirst().dropLast()) : value
        }
        return nil
    }
}
