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
            throw WorkflowError(source: source, reason: "\(error)")  // the error names the file
        }
    }
}

extension ModelBindings {
    /// Bindings from `NAME=VALUE` assignments (`--input`), the explained input and output, and
    /// `INPUT=OUTPUT` state pairs; `option` names the assignments' option in errors.
    public static func parse(
        assignments: [String], option: String, explainedInput: String? = nil, output: String? = nil, state: [String: String] = [:]
    ) throws -> ModelBindings {
        var texts: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw WorkflowError(source: option, reason: "'\(assignment.prefix(80))' is not NAME=VALUE")
            }
            let name = String(assignment[..<equals])
            guard texts.updateValue(String(assignment[assignment.index(after: equals)...]), forKey: name) == nil else {
                throw WorkflowError(source: "\(option) \(name)", reason: "the input is given twice")
            }
        }
        return try parse(values: texts, source: option, explainedInput: explainedInput, output: output, state: state)
    }

    /// Bindings from values as text by input name (`[model] inputs`); `source` names the setting.
    public static func parse(
        values texts: [String: String], source: String, explainedInput: String? = nil, output: String? = nil, state: [String: String] = [:]
    ) throws -> ModelBindings {
        var values: [String: InputValue] = [:]
        for (name, text) in texts {
            guard !name.isEmpty else { throw WorkflowError(source: source, reason: "an input name is empty") }
            values[name] = try InputValue.parse(text, source: "\(source) \(name)")
        }
        return ModelBindings(explainedInput: explainedInput, output: output, values: values, state: state)
    }
}
