import Foundation

/// `multipart/form-data` bodies for upload tests.
enum FormBody {
    static let boundary = "wam-test-boundary"
    static let contentType = "multipart/form-data; boundary=\(boundary)"

    /// One part per field: (name, file name, bytes).
    static func make(_ parts: [(name: String, filename: String?, data: Data)]) -> Data {
        var body = Data()
        for part in parts {
            let disposition = "form-data; name=\"\(part.name)\"" + (part.filename.map { "; filename=\"\($0)\"" } ?? "")
            body += Data("--\(boundary)\r\nContent-Disposition: \(disposition)\r\nContent-Type: audio/wav\r\n\r\n".utf8) + part.data
            body += Data("\r\n".utf8)
        }
        return body + Data("--\(boundary)--\r\n".utf8)
    }
}
