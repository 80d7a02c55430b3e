import Foundation

/// A closed set of named choices: each case is spelled as its raw value, and a bad spelling is
/// an error naming the option or key and listing the allowed spellings.
public protocol Spelled: RawRepresentable, CaseIterable, Sendable where RawValue == String {}

extension Spelled {
    /// The allowed spellings as a message lists them: "a, b or c".
    public static var spellings: String {
        let names = allCases.map(\.rawValue)
        guard let last = names.last, names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + last
    }

    /// The case spelled `text` (case-insensitively); `key`, an option or configuration key,
    /// names it in the error.
    public init(spelling text: String, key: String) throws(WorkflowError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Self(rawValue: trimmed) ?? Self.allCases.first(where: { $0.rawValue.lowercased() == trimmed.lowercased() }) else {
            throw WorkflowError(source: key, reason: "unknown value '\(text)'; expected \(Self.spellings)")
        }
        self = value
    }

    /// The cases of a comma-separated list, at least one.
    public static func list(_ text: String, key: String) throws(WorkflowError) -> [Self] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw WorkflowError(source: key, reason: "no value given; expected some of \(spellings), comma-separated") }
        var values: [Self] = []
        for name in names { values.append(try Self(spelling: name, key: key)) }
        return values
    }
}
