import ArrayIO
import Foundation
import ONNX

extension InputValue {
    /// A value given for a model input as text: a number (`16000`, `0.5`), or the path of a
    /// `.npy` file (relative paths against `directory`). `source` names the setting in errors.
    public static func parse(_ text: String, source: String, relativeTo directory: URL? = nil) throws -> InputValue {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = Double(trimmed) {
            guard number.isFinite else { throw WorkflowError(source: source, reason: "\(trimmed) is not a finite number") }
            return InputValue(scalar: number)
        }
        guard trimmed.lowercased().hasSuffix(".npy") else {
            throw WorkflowError(source: source, reason: "'\(trimmed.prefix(80))' is neither a number nor a .npy file")
        }
        let url = trimmed.hasPrefix("/") ? URL(fileURLWithPath: trimmed) : URL(fileURLWithPath: trimmed, relativeTo: directory)
        do {
            return InputValue(try NpyFile.read(url).asDouble)
        } catch {
            throw WorkflowError(source: source, reason: "\(url.path): \(error)")
        }
    }
}

extension ModelBindings {
    /// Bindings from `NAME=VALUE` assignments (`--input`), the explained input and output, and
    /// `INPUT=OUTPUT` state pairs; `option` names the assignments' option in errors.
    public static func parse(
        assignments: [String], option: String, explainedInput: String? = nil, output: String? = nil, state: [String: String] = [:]
    ) throws -> ModelBindings {
        var values: [String: InputValue] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw WorkflowError(source: option, reason: "'\(assignment.prefix(80))' is not NAME=VALUE")
            }
            let name = String(assignment[..<equals])
            guard values[name] == nil else {
                throw WorkflowError(source: "\(option) \(name)", reason: "the input is given twice")
            }
            values[name] = try InputValue.parse(String(assignment[assignment.index(after: equals)...]), source: "\(option) \(name)")
        }
        return ModelBindings(explainedInput: explainedInput, output: output, values: values, state: state)
    }
}
