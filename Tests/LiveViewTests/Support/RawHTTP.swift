import Foundation
import Glibc

/// A minimal HTTP/1.1 client over a plain socket: it sends the request target exactly as given
/// (no URL normalisation, so `..` and odd encodings reach the server) and runs on its own
/// thread, never blocking Swift's cooperative pool that the server shares.
struct RawHTTP {
    struct Response: Sendable {
        let status: Int
        /// Header names in lower case.
        let headers: [String: String]
        let body: Data

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object.
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw Failure("not a JSON object: \(text.prefix(200))")
            }
            return object
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let host: String
    let port: Int

    init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    /// Sends one request (`Connection: close`) and reads the whole response, or only its head
    /// when `headOnly` (for answers that may never end, such as event streams).
    func send(
        _ method: String = "GET", _ target: String, headers: [String: String] = [:], body: Data = Data(),
        headOnly: Bool = false
    ) async throws -> Response {
        let request = Self.encode(method, target, host: "\(host):\(port)", headers: headers, body: body)
        let (host, port) = (host, port)
        return try await Self.offPool {
            let socket = try Socket(host: host, port: port)
            defer { socket.close() }
            try socket.write(request)
            var data = Data()
            while let chunk = try socket.read() {
                data.append(chunk)
                if headOnly && data.range(of: Data("\r\n\r\n".utf8)) != nil { break }
            }
            return try Self.parse(data)
        }
    }

    /// A GET of `target`.
    func get(_ target: String, headers: [String: String] = [:]) async throws -> Response {
        try await send("GET", target, headers: headers)
    }

    static func encode(_ method: String, _ target: String, host: String, headers: [String: String], body: Data) -> Data {
        var fields = ["Host": host, "Connection": "close"]
        if !body.isEmpty || method == "POST" { fields["Content-Length"] = String(body.count) }
        fields.merge(headers) { _, new in new }
        let head = "\(method) \(target) HTTP/1.1\r\n" + fields.filter { !$0.value.isEmpty }.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
        return Data(head.utf8) + body
    }

    /// Parses a complete response (a head, then a body by length, chunks or up to the end).
    static func parse(_ data: Data) throws -> Response {
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { throw Failure("no response head in \(data.count) bytes") }
        let lines = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure("bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let raw = Data(data[split.upperBound...])
        let body = headers["transfer-encoding"]?.lowercased() == "chunked" ? dechunk(raw).data : raw
        return Response(status: status, headers: headers, body: body)
    }

    /// The payload of a chunked body, as far as complete chunks go, and whether it ended.
    static func dechunk(_ raw: Data) -> (data: Data, finished: Bool) {
        var output = Data(), cursor = raw.startIndex
        while let lineEnd = raw.range(of: Data("\r\n".utf8), in: cursor..<raw.endIndex) {
            let sizeText = String(decoding: raw[cursor..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { break }
            if size == 0 { return (output, true) }
            let start = lineEnd.upperBound
            guard raw.endIndex >= start + size + 2 else { break }
            output.append(raw[start..<(start + size)])
            cursor = start + size + 2
        }
        return (output, false)
    }

    /// Runs blocking socket work on a thread of its own.
    static func offPool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

/// A connected TCP socket with a receive timeout.
final class Socket: @unchecked Sendable {
    private let descriptor: Int32

    /// Connects; reads give up after `timeout` seconds without data (generous: the server's
    /// handlers share Swift's threads with tests that may block them for a while).
    init(host: String, port: Int, timeout: Int = 180) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw RawHTTP.Failure("not an IPv4 address: \(host)") }
        descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawHTTP.Failure("socket: \(String(cString: strerror(errno)))") }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw RawHTTP.Failure("connect to \(host):\(port): \(reason)")
        }
    }

    func write(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let sent = data.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL)) }
            // The server may answer and close before reading everything (e.g. 413): stop writing then.
            guard sent > 0 else { return }
            offset += sent
        }
    }

    /// The next bytes, or nil at the end of the stream.
    /// - Throws: when nothing arrives within the timeout.
    func read() throws -> Data? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = Glibc.recv(descriptor, &buffer, buffer.count, 0)
        if count < 0 && errno == ECONNRESET { return nil }
        guard count >= 0 else { throw RawHTTP.Failure("recv: \(String(cString: strerror(errno)))") }
        return count == 0 ? nil : Data(buffer[0..<count])
    }

    /// The next bytes, empty when nothing arrived within the timeout, nil at the end.
    func poll() throws -> Data? {
        do {
            return try read()
        } catch  where errno == EAGAIN || errno == EWOULDBLOCK {
            return Data()
        }
    }

    func close() {
        Glibc.close(descriptor)
    }
}
