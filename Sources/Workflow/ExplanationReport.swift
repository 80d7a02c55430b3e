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
        public var json: String?
    }

    public var schemaVersion = ExplanationDocument.currentSchemaVersion
    public var windows: [Window]

    public init(documents: [ExplanationDocument]) {
        windows = documents.map { document in
            Window(index: document.input.windowIndex,
                   startSeconds: document.input.sampleRate.map { Double(document.input.windowStart) / $0 },
                   prediction: document.prediction.label, probability: document.prediction.probability,
                   target: document.target.label,
                   strongestLevel: document.scaleProfile.levels.max { $0.importance < $1.importance }?.name,
                   json: document.files.json)
        }
    }
}

/// The text `wam explain` prints: the prediction and the scale profile as a table per window
/// (one line per window for long inputs), and where the files are.
public enum ExplanationReport {
    public static func text(_ documents: [ExplanationDocument], output: String) -> String {
        var lines: [String] = []
        if documents.count > 4 {
            lines.append("window  start s  prediction        p      strongest level")
            for d in documents {
                let start = d.input.sampleRate.map { String(format: "%7.2f", Double(d.input.windowStart) / $0) } ?? "      -"
                let top = d.scaleProfile.levels.max { $0.importance < $1.importance }
                lines.append(String(format: "%6d  %@  %@ %5.3f  %@", d.input.windowIndex, start,
                                    d.prediction.label.padding(toLength: 16, withPad: " ", startingAt: 0), d.prediction.probability,
                                    top.map { "\($0.name) (\(percent($0.importance)))" } ?? "-"))
            }
        } else {
            for d in documents { lines += table(d) }
        }
        lines.append("Wrote \(documents.count) explanation\(documents.count == 1 ? "" : "s") to \(output)/ "
                     + "(JSON, \(documents.first?.input.kind == .audio ? "interpretation WAV, " : "")PNG; summary.json).")
        if let wav = documents.first?.files.interpretationWav {
            lines.append("Listen: aplay \(output)/\(wav)   (the input rebuilt from its most important wavelet coefficients)")
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ d: ExplanationDocument) -> [String] {
        var lines: [String] = []
        let window = d.input.windowCount > 1 ? " window \(d.input.windowIndex + 1)/\(d.input.windowCount)" : ""
        lines.append("\(d.input.file)\(window): predicted \(d.prediction.label) (p = \(String(format: "%.3f", d.prediction.probability)))"
                     + (d.target.index == d.prediction.index ? "" : "; explaining \(d.target.label)"))
        if let completeness = d.completeness {
            lines.append("  completeness gap \(percent(completeness.relativeGap)) after \(completeness.steps) steps"
                         + (completeness.converged ? "" : " (tolerance not reached)"))
        }
        lines.append("  level  band                 importance")
        for level in d.scaleProfile.levels {
            let band = level.frequencyBand.map { String(format: "%6.0f-%-6.0f Hz", $0[0], $0[1]) } ?? ""
            let bar = String(repeating: "#", count: Int((level.importance * 40).rounded()))
            lines.append("  \(level.name.padding(toLength: 5, withPad: " ", startingAt: 0))  "
                         + "\(band.padding(toLength: 19, withPad: " ", startingAt: 0))  \(percent(level.importance).leftPad(6)) \(bar)")
        }
        return lines
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
