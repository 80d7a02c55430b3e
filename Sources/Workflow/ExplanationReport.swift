import Foundation

/// The index of a run's windows, written as `summary.json`.
public struct ExplanationSummary: Codable, Sendable {
    public struct Window: Codable, Sendable {
        public var index: Int
        public var startSeconds: Double?
        public var prediction: String
        public var probability: Double
        public var target: String
        public var strongestLevel: String?
        /// The strongest level's share of the attribution.
        public var strongestLevelImportance: Double?
        public var json: String?
        /// The interpretation's agreement with the model-free ranking by |z|.
        public var magnitudeAgreement: ExplanationDocument.MagnitudeAgreement?
    }

    /// A window that could not be explained, and why.
    public struct Skipped: Codable, Sendable {
        public var index: Int
        public var startSample: Int
        public var reason: String

        public init(_ invalid: InvalidWindow) {
            (index, startSample, reason) = (invalid.index, invalid.startSample, invalid.reason)
        }
    }

    public var schemaVersion = ExplanationDocument.currentSchemaVersion
    public var windows: [Window]
    /// Windows left out because of what they hold (NaN samples, non-finite model outputs).
    public var skipped: [Skipped] = []

    public init(documents: [ExplanationDocument]) {
        windows = []
        for document in documents { append(document) }
    }

    /// Adds one written window.
    public mutating func append(_ document: ExplanationDocument) {
        let strongest = document.scaleProfile.levels.max { $0.importance < $1.importance }
        windows.append(
            Window(
                index: document.input.windowIndex,
                startSeconds: document.input.sampleRate.map { Double(document.input.windowStart) / $0 },
                prediction: document.prediction.label, probability: document.prediction.probability,
                target: document.target.label, strongestLevel: strongest?.name,
                strongestLevelImportance: strongest?.importance, json: document.files.json,
                magnitudeAgreement: document.interpretation.magnitudeAgreement))
    }
}

/// The text `wam explain` prints: the prediction and the scale profile as a table per window
/// (one line per window for long inputs), and where the files are.
public enum ExplanationReport {
    /// Up to this many windows, each gets its profile table; longer inputs get a line per window.
    public static let tablesUpTo = 4

    /// The report of `summary`; `tables` holds the documents of short inputs (every window).
    public static func text(_ summary: ExplanationSummary, tables: [ExplanationDocument], output: String, pictures: Bool = true) -> String {
        var lines: [String] = []
        if tables.isEmpty {
            lines.append("window  start s  prediction        p      strongest level")
            for w in summary.windows {
                let start = w.startSeconds.map { String(format: "%7.2f", $0) } ?? "      -"
                let strongest = w.strongestLevel.map { "\($0) (\(percent(w.strongestLevelImportance ?? 0)))" } ?? "-"
                lines.append(
                    String(
                        format: "%6d  %@  %@ %5.3f  %@", w.index, start,
                        w.prediction.padding(toLength: 16, withPad: " ", startingAt: 0), w.probability, strongest))
            }
        } else {
            for d in tables { lines += table(d) }
        }
        if let line = magnitudeLine(summary) { lines.append(line) }
        let count = summary.windows.count
        let kind = tables.first?.input.kind ?? (summary.windows.first?.startSeconds != nil ? .audio : .image)
        lines.append(
            "Wrote \(count) explanation\(count == 1 ? "" : "s") to \(output)/ "
                + "(JSON\(kind == .audio ? ", interpretation WAV" : "")\(pictures ? ", PNG" : ""); summary.json).")
        if kind == .audio, let json = summary.windows.first?.json {
            let wav = json.hasSuffix(".json") ? String(json.dropLast(5)) + ".wav" : json
            lines.append("Listen: aplay \(output)/\(wav)   (the input rebuilt from its most important wavelet coefficients)")
        }
        return lines.joined(separator: "\n")
    }

    /// One line on how the explanation's ranking compares with ranking the coefficients by |z|
    /// (no model): high agreement means the interpretation is mostly the loudest coefficients.
    static func magnitudeLine(_ summary: ExplanationSummary) -> String? {
        let agreements = summary.windows.compactMap(\.magnitudeAgreement)
        guard !agreements.isEmpty else { return nil }
        let overlap = agreements.map(\.keptOverlap).reduce(0, +) / Double(agreements.count)
        let spearman = agreements.map(\.spearman).reduce(0, +) / Double(agreements.count)
        return "Against ranking by |z| alone (no model): \(percent(overlap)) of the kept coefficients are the largest ones too, "
            + String(format: "rank correlation %.2f", spearman) + (agreements.count > 1 ? " (mean of \(agreements.count) windows)." : ".")
    }

    static func table(_ d: ExplanationDocument) -> [String] {
        var lines: [String] = []
        let window = d.input.windowCount > 1 ? " window \(d.input.windowIndex + 1)/\(d.input.windowCount)" : ""
        lines.append(
            "\(d.input.file)\(window): predicted \(d.prediction.label) (p = \(String(format: "%.3f", d.prediction.probability)))"
                + (d.target.index == d.prediction.index ? "" : "; explaining \(d.target.label)"))
        if let completeness = d.completeness {
            lines.append(
                "  completeness gap \(percent(completeness.relativeGap)) after \(completeness.steps) steps"
                    + (completeness.converged ? "" : " (tolerance not reached)"))
        }
        lines.append("  level  band                 importance")
        for level in d.scaleProfile.levels {
            let band = level.frequencyBand.map { String(format: "%6.0f-%-6.0f Hz", $0[0], $0[1]) } ?? ""
            let bar = String(repeating: "#", count: Int((level.importance * 40).rounded()))
            lines.append(
                "  \(level.name.padding(toLength: 5, withPad: " ", startingAt: 0))  "
                    + "\(band.padding(toLength: 19, withPad: " ", startingAt: 0))  \(percent(level.importance).leftPad(6)) \(bar)")
        }
        return lines
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
