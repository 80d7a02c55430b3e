import Foundation

/// A client of `/api/v1/events`: opens the stream, then collects server-sent events until a
/// condition holds, on threads of its own.
final class EventStream: @unchecked Sendable {
    struct Event: Sendable {
        let id: Int?
        let name: String
        let data: String

        /// `data` as a JSON object.
        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] ?? [:]
        }
    }

    let response: RawHTTP.Response
    private let socket: Socket
    /// Raw (chunked) bytes of the body so far.
    private var raw: Data
    private(set) var ended = false

    private init(socket: Socket, response: RawHTTP.Response, raw: Data) {
        self.socket = socket
        self.response = response
        self.raw = raw
    }

    /// Connects and reads the response head.
    static func open(
        host: String = "127.0.0.1", port: Int, target: String = "/api/v1/events",
        headers: [String: String] = [:]
    ) async throws -> EventStream {
        try await RawHTTP.offPool {
            let socket = try Socket(host: host, port: port, timeout: 1)
            try socket.write(RawHTTP.encode("GET", target, host: "\(host):\(port)", headers: headers, body: Data()))
            var data = Data()
            let deadline = Date().addingTimeInterval(180)
            while data.range(of: Data("\r\n\r\n".utf8)) == nil {
                guard Date() < deadline, let chunk = try socket.poll() else { throw RawHTTP.Failure("no response head") }
                data.append(chunk)
            }
            let split = data.range(of: Data("\r\n\r\n".utf8))!
            let head = try RawHTTP.parse(Data(data[..<split.upperBound]))
            return EventStream(socket: socket, response: head, raw: Data(data[split.upperBound...]))
        }
    }

    /// The events received so far.
    var events: [Event] {
        Self.events(in: String(decoding: RawHTTP.dechunk(raw).data, as: UTF8.self))
    }

    /// Reads until `done(events)` holds, the stream ends, or `timeout` seconds pass; returns the events.
    func collect(timeout: Double, until done: @escaping @Sendable ([Event]) -> Bool) async throws -> [Event] {
        try await RawHTTP.offPool { [self] in
            let deadline = Date().addingTimeInterval(timeout)
            while !done(events) && !ended && Date() < deadline {
                guard let chunk = try socket.poll() else {
                    ended = true
                    break
                }
                raw.append(chunk)
                if RawHTTP.dechunk(raw).finished { ended = true }
            }
            return events
        }
    }

    func close() {
        socket.close()
    }

    /// The complete events of an event-stream text (comments skipped).
    static func events(in text: String) -> [Event] {
        var events: [Event] = []
        var blocks = text.components(separatedBy: "\n\n")
        blocks.removeLast()  // incomplete, or empty after the last separator
        for block in blocks {
            var id: Int?, name = "message", data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) where !line.hasPrefix(":") {
                let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
                let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                switch parts.first {
                case "id": id = Int(value)
                case "event": name = value
                case "data": data.append(value)
                default: break
                }
            }
            if !data.isEmpty { events.append(Event(id: id, name: name, data: data.joined(separator: "\n"))) }
        }
        return events
    }
}
