import Attribution
import Foundation

/// The JSON written for every explained window: everything needed to understand the result and
/// to recompute it (METHOD.md section 6). Field names are frozen by a contract test; a change
/// of meaning bumps `schemaVersion`.
public struct ExplanationDocument: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

    public struct Tool: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
    }

    public struct Model: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String
        public var classes: [String]
        public var inputShape: [Int]
        /// `logits` (probabilities by softmax, or the logistic of a single output) or
        /// `probabilities` (the output is one already: `logit` fields then hold it as it is).
        public var outputScale: String
        /// For models with more inputs than the explained one: what each other input was while
        /// the window was explained (given at load, or a state held fixed); absent otherwise.
        public var otherInputs: [String: String]?
    }

    public struct Input: Codable, Sendable, Equatable {
        public var file: String
        public var kind: SignalKind
        /// Audio: the rate the model hears (and of `windowStart`, `windowLength`).
        public var sampleRate: Double?
        public var fileSampleRate: Double?
        public var fileChannels: Int?
        public var windowIndex: Int
        public var windowCount: Int
        public var windowStart: Int
        public var windowLength: Int
        public var paddedSamples: Int
    }

    /// Where a daemon window came from (absent for files explained by `wam explain`).
    public struct Stream: Codable, Sendable, Equatable {
        public var source: String
        /// ISO 8601 time of the window's first sample.
        public var startTime: String
        /// Index of the window's first sample since the stream began.
        public var sampleIndex: Int

        public init(source: String, startTime: String, sampleIndex: Int) {
            self.source = source
            self.startTime = startTime
            self.sampleIndex = sampleIndex
        }
    }

    public struct Method: Codable, Sendable, Equatable {
        public var name: String
        public var domain: String
        public var wavelet: String?
        public var mode: String?
        public var levels: Int?
        public var samples: Int?
        public var spread: Double?
        public var seed: UInt64?
        public var steps: Int?
        public var stepRule: String?
        public var tolerance: Double?
        public var maxSteps: Int?
    }

    public struct ClassScore: Codable, Sendable, Equatable {
        public var index: Int
        public var label: String
        public var logit: Double
        public var probability: Double
    }

    public struct Completeness: Codable, Sendable, Equatable {
        public var steps: Int
        public var gap: Double
        public var relativeGap: Double
        public var expectedTotal: Double
        public var converged: Bool
    }

    public struct Cost: Codable, Sendable, Equatable {
        public var gradientEvaluations: Int
        public var forwardEvaluations: Int
        public var seconds: Double
    }

    public struct InterpretationInfo: Codable, Sendable, Equatable {
        /// `top` (keep a fraction by the attribution, in `order`), `evidence` (a fraction by |a z|
        /// averaged over `width` neighbours) or `per_level` (keep above a share of each level's peak).
        public var rule: String
        /// How the coefficients were ranked: `magnitude` (by |a|, or |a z| for `evidence`) or
        /// `signed` (by a, largest first).
        public var order: String
        public var keep: Double?
        public var threshold: Double?
        public var width: Int?
        public var keptCoefficients: Int
        public var totalCoefficients: Int
        /// How this ranking compares with ranking the coefficients by their own magnitude |z|,
        /// which needs no model.
        public var magnitudeAgreement: MagnitudeAgreement?
    }

    /// How an explanation's ranking of the coefficients compares with the model-free ranking by |z|.
    public struct MagnitudeAgreement: Codable, Sendable, Equatable {
        /// Share of the coefficients kept by the interpretation that the top |z| (same count) keeps too.
        public var keptOverlap: Double
        /// Spearman's rank correlation between the ranking score (|a| or a) and |z| over all coefficients.
        public var spearman: Double
    }

    public struct Files: Codable, Sendable, Equatable {
        public var json: String?
        public var interpretationWav: String?
        public var inputWav: String?
        public var picture: String?
    }

    public var schemaVersion: Int
    public var tool: Tool
    public var model: Model
    public var input: Input
    public var stream: Stream?
    public var method: Method
    public var prediction: ClassScore
    public var topClasses: [ClassScore]
    public var target: ClassScore
    public var completeness: Completeness?
    public var cost: Cost
    public var scaleProfile: ScaleProfile
    public var scalogram: Scalogram?
    public var interpretation: InterpretationInfo
    public var files: Files
}

extension ExplanationDocument {
    /// A document from the JSON `ResultWriter` writes (snake_case keys, non-finite numbers as strings).
    public static func decode(_ data: Data) throws -> ExplanationDocument {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(ExplanationDocument.self, from: data)
    }
}
