/// How a signal is extended past its ends before filtering; the nine modes of PyWavelets,
/// with pywt's names and semantics.
public enum ExtensionMode: String, CaseIterable, Sendable, Hashable {
    /// Zeros outside the signal.
    case zero
    /// The edge sample repeated.
    case constant
    /// Half-sample symmetric: `... x1 x0 | x0 x1 ...`.
    case symmetric
    /// Periodic: the signal repeated.
    case periodic
    /// First-order extrapolation from the two edge samples.
    case smooth
    /// Periodic, with an output of `ceil(n / 2)` coefficients (a non-redundant transform).
    case periodization
    /// Whole-sample symmetric: `... x2 x1 | x0 x1 x2 ...`.
    case reflect
    /// Half-sample antisymmetric: `... -x1 -x0 | x0 x1 ...`.
    case antisymmetric
    /// Whole-sample antisymmetric (point reflection about the edge sample).
    case antireflect

    /// Parses a pywt mode name.
    /// - Throws: `WaveletError.unknownMode` listing the valid names.
    public init(parsing name: String) throws(WaveletError) {
        guard let mode = ExtensionMode(rawValue: name.lowercased()) else {
            throw .unknownMode(name: name)
        }
        self = mode
    }
}
