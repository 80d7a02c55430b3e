/// Why the engine refused to build or run a computation.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    /// An operation was given inputs whose shapes it cannot work with.
    case invalidShapes(operation: String, shapes: [[Int]], expected: String)
    /// An operation parameter (stride, axis, padding, ...) is out of range.
    case invalidParameter(operation: String, parameter: String, value: String, expected: String)
    /// The batch handed to the engine does not have the model's input layout.
    case inputShapeMismatch(expected: [Int], actual: [Int])
    /// A class index (or the number of them) does not fit the model's output.
    case invalidClasses(classes: [Int], batchSize: Int, classCount: Int)
    /// The cotangent does not have the output's shape.
    case cotangentShapeMismatch(expected: [Int], actual: [Int])
    /// A tensor name that the program does not hold (or that has no gradient).
    case unknownTensor(name: String, known: [String])
    /// Engine options out of range.
    case invalidOptions(String)

    public var description: String {
        switch self {
        case let .invalidShapes(operation, shapes, expected):
            return "\(operation): input shapes \(shapes.map { "\($0)" }.joined(separator: ", ")) are invalid; expected \(expected)"
        case let .invalidParameter(operation, parameter, value, expected):
            return "\(operation): \(parameter) = \(value) is invalid; expected \(expected)"
        case let .inputShapeMismatch(expected, actual):
            let layout = expected.map { $0 < 0 ? "N" : String($0) }.joined(separator: ", ")
            return "input has shape \(actual); expected [\(layout)] (rank \(expected.count), batch first)"
        case let .invalidClasses(classes, batchSize, classCount):
            if classes.count != batchSize {
                return "got \(classes.count) class indices for a batch of \(batchSize); expected one per example"
            }
            let bad = Set(classes.filter { !(0..<classCount).contains($0) }).sorted()
            return "class index\(bad.count > 1 ? "es" : "") \(bad.map(String.init).joined(separator: ", ")) out of range; expected 0..<\(classCount)"
        case let .cotangentShapeMismatch(expected, actual):
            return "cotangent has shape \(actual); expected the output shape \(expected)"
        case let .unknownTensor(name, known):
            let shown = known.sorted().prefix(40).joined(separator: ", ")
            return "no tensor named '\(name)' in the model; known tensors: \(shown)\(known.count > 40 ? ", ..." : "")"
        case let .invalidOptions(reason):
            return "invalid engine options: \(reason)"
        }
    }
}
