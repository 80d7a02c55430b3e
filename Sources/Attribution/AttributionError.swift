/// Why an explanation could not be computed.
public enum AttributionError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(what: String, expected: [Int], actual: [Int])
    case invalidParameter(name: String, value: String, expected: String)
    case nonFiniteInput(index: Int)
    case unknownClass(Int, classCount: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, actual):
            "\(what) has shape \(actual); expected \(expected)"
        case let .invalidParameter(name, value, expected):
            "\(name) = \(value) is invalid; expected \(expected)"
        case let .nonFiniteInput(index):
            "the input holds NaN or infinity (first at sample \(index)); expected finite samples"
        case let .unknownClass(target, classCount):
            "class \(target) does not exist; the model has classes 0..<\(classCount)"
        }
    }
}
