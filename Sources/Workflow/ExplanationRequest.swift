import Attribution
import Wavelets

/// The one typed description of an explanation request, which `wam explain` and wamd's
/// `[explain]` section (whose explainer also serves the live view's uploads) fill in, and
/// `settings()` turns into what the explainer runs. Each value is parsed from text in one place:
/// the `Spelled` enums (`Method`, `Rank`, `ExtensionMode`), `Steps` and `Wavelet`.
public struct ExplanationRequest: Sendable, Equatable {
    /// The attribution method.
    public enum Method: String, Spelled {
        case gradient, smoothgrad, intgrad
    }

    /// How coefficients are ranked for the interpretation.
    public enum Rank: String, Spelled {
        /// By |a| (METHOD.md): evidence for and against the class alike.
        case attribution
        /// By a, largest first: the evidence for the class, counter-evidence last.
        case signed
        /// By |a z| averaged over `width` neighbours in a band.
        case evidence
    }

    /// Integrated gradients' path steps: a number, or `auto` (refined until the completeness gap
    /// is under `tolerance`, at most `maxSteps` gradients).
    public enum Steps: Sendable, Equatable, CustomStringConvertible {
        case fixed(Int)
        case auto

        public static let range = 1...100_000

        /// What a spelling must be, for messages.
        public static let expected = "a number in \(range.lowerBound)...\(range.upperBound) or `auto`"

        /// A number of steps in `range`, or `auto`; `key` names the option or key in the error.
        public init(spelling text: String, key: String) throws(WorkflowError) {
            if text == "auto" {
                self = .auto
            } else if let count = Int(text), Self.range.contains(count) {
                self = .fixed(count)
            } else {
                throw WorkflowError(source: "\(key) \(text)", reason: "expected \(Self.expected)")
            }
        }

        public var description: String {
            switch self {
            case let .fixed(count): "\(count)"
            case .auto: "auto"
            }
        }
    }

    public var method = Method.intgrad
    /// A wavelet name (`wam wavelet list`), checked by `settings()`.
    public var wavelet = "db4"
    public var mode = ExtensionMode.symmetric
    /// Decomposition levels; nil picks `ExplanationSettings.defaultLevels`.
    public var levels: Int?
    /// The class to explain (index); nil explains the top prediction.
    public var target: Int?
    public var samples = 25
    public var spread = 0.1
    public var seed: UInt64 = 0
    public var steps = Steps.fixed(32)
    public var tolerance = 0.01
    public var maxSteps = 256
    public var rank = Rank.attribution
    public var keep = 0.1
    public var width = 17
    /// Keep |a| above this share of each level's peak instead of a fraction (`--threshold`).
    public var threshold: Double?

    public init() {}

    /// The attribution method with its options.
    public var attributionMethod: AttributionMethod {
        switch method {
        case .gradient:
            .gradient
        case .smoothgrad:
            .smoothgrad(SmoothGradOptions(samples: samples, spread: spread, seed: seed))
        case .intgrad:
            switch steps {
            case let .fixed(count): .intgrad(IntegratedGradientsOptions(steps: .fixed(count)))
            case .auto: .intgrad(IntegratedGradientsOptions(steps: .auto(tolerance: tolerance, maxSteps: maxSteps)))
            }
        }
    }

    /// The interpretation rule: a per-level threshold if one is set, else the top `keep` by `rank`.
    public var interpretation: InterpretationRule {
        if let threshold { return .perLevel(threshold: threshold) }
        switch rank {
        case .attribution: return .top(fraction: keep, order: .magnitude)
        case .signed: return .top(fraction: keep, order: .signed)
        case .evidence: return .topEvidence(fraction: keep, width: width)
        }
    }

    /// What the explainer runs; throws when the wavelet is unknown.
    public func settings() throws(WaveletError) -> ExplanationSettings {
        ExplanationSettings(
            method: attributionMethod, wavelet: try Wavelet(wavelet), mode: mode, levels: levels, target: target,
            interpretation: interpretation)
    }
}

extension ExtensionMode: Spelled {}
