import ArgumentParser
import AudioIO

/// Range checks for numeric options of the command-line tools (`wam`, `wam-bench`), so that NaN, infinities and absurd sizes are refused with
/// the option's name before any work starts.
public enum Check {
    /// Throws unless `value` lies in `range` (NaN never does).
    /// - Parameters:
    ///   - shown: the value as the user typed it, when it differs from `value`'s text.
    ///   - or: an alternative the option also accepts, named in the message.
    public static func range<Value: Comparable>(
        _ value: Value, _ range: ClosedRange<Value>, _ option: String, unit: String = "",
        shown: String? = nil, or alternative: String? = nil
    ) throws {
        guard !range.contains(value) else { return }
        throw ValidationError(
            "\(option) \(shown ?? "\(value)"): expected a number in \(range.lowerBound)...\(range.upperBound)\(unit)"
                + (alternative.map { " or \($0)" } ?? ""))
    }

    /// Throws unless `rate` is a sample rate wam supports (`SampleRates`).
    public static func sampleRate(_ rate: Double, _ option: String) throws {
        try range(rate, Double(SampleRates.supported.lowerBound)...Double(SampleRates.supported.upperBound), option, unit: " Hz")
    }
}

extension Optional {
    /// The value, or `error` thrown.
    public func orThrow(_ error: @autoclosure () -> some Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
