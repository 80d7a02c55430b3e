/// Why a wavelet operation was refused.
public enum WaveletError: Error, Equatable, CustomStringConvertible {
    case unknownWavelet(name: String, suggestions: [String])
    case unknownMode(name: String)
    case negativeLevel(Int)
    case levelTooHigh(level: Int, maximum: Int, lengths: [Int], filterLength: Int)
    case emptyInput(shape: [Int])
    case nonFiniteInput(what: String, flatIndex: Int)
    case invalidAxes(axes: [Int], rank: Int)
    case signalTooShortForMode(mode: ExtensionMode, length: Int)
    case shapeMismatch(what: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case let .unknownWavelet(name, suggestions):
            let hint = suggestions.isEmpty ? "" : "; did you mean \(suggestions.joined(separator: ", "))?"
            return "unknown wavelet '\(name)'\(hint) (`wam wavelet list` shows all)"
        case let .unknownMode(name):
            let modes = ExtensionMode.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown extension mode '\(name)'; expected one of: \(modes)"
        case let .negativeLevel(level):
            return "level \(level) is negative; expected 0 or more"
        case let .levelTooHigh(level, maximum, lengths, filterLength):
            return "level \(level) is above the maximum \(maximum) for length \(lengths.map(String.init).joined(separator: "x")) "
                + "and filter length \(filterLength) (dwt_max_level): every coefficient would be a boundary effect"
        case let .emptyInput(shape):
            return "input is empty (shape \(shape)); expected at least one sample along every transformed axis"
        case let .nonFiniteInput(what, index):
            return "\(what) holds NaN or infinity (first at flat index \(index)); expected finite numbers"
        case let .invalidAxes(axes, rank):
            return "axes \(axes) are invalid for a rank-\(rank) array; expected distinct axes in -\(rank)..<\(rank)"
        case let .signalTooShortForMode(mode, length):
            return "mode '\(mode.rawValue)' needs at least 2 samples along a transformed axis, got \(length)"
        case let .shapeMismatch(what, expected, actual):
            return "\(what) has shape \(actual); expected \(expected)"
        }
    }
}
