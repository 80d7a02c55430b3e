/// Why audio could not be read, converted or written.
public struct AudioError: Error, CustomStringConvertible, Equatable {
    /// The file, device or stream concerned.
    public let source: String
    /// What was wrong and what was expected.
    public let reason: String

    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }
}
