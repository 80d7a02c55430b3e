/// Why an `.npy` / `.npz` file could not be read or written.
public struct ArrayIOError: Error, CustomStringConvertible, Equatable {
    /// The file (or `file:key` for an array inside an `.npz`).
    public let file: String
    /// What was wrong and what was expected.
    public let reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}
