import Foundation
import Rendering

extension ExplanationDocument {
    /// The first line of the document's pictures: target class, index, probability and, when
    /// different, the predicted class.
    public var pictureTitle: String {
        "\(target.label) (class \(target.index), p = \(String(format: "%.3f", target.probability)))"
            + (prediction.index == target.index ? "" : "  predicted: \(prediction.label)")
    }

    /// The second line: method, wavelet, levels and input file.
    public var pictureSubtitle: String {
        "\(method.name), \(method.wavelet ?? "") \(method.mode ?? ""), \(method.levels ?? 0) levels, "
            + "\(input.file.split(separator: "/").last ?? "")"
    }

    /// The picture of an audio explanation: `input` (and the `interpretation`) over the
    /// scalogram, its rows labelled with their frequency bands; nil for images and volumes.
    public func audioPlot(input samples: [Float], interpretation: [Float]?) -> AudioPlot? {
        guard input.kind == .audio, let scalogram else { return nil }
        let bands = Dictionary(uniqueKeysWithValues: scaleProfile.levels.map { ($0.name, $0.frequencyBand) })
        let rows = zip(scalogram.rows, scalogram.values).map { name, values in
            AudioPlot.Row(
                label: "\(name) " + (bands[name].flatMap { $0 }.map { Self.hertz($0[0]) + "-" + Self.hertz($0[1]) } ?? ""),
                values: values)
        }
        return AudioPlot(
            title: pictureTitle, subtitle: pictureSubtitle, sampleRate: input.sampleRate ?? 1, input: samples,
            interpretation: interpretation, rows: rows)
    }

    static func hertz(_ value: Double) -> String {
        value >= 1000 ? String(format: "%gk", (value / 100).rounded() / 10) : String(format: "%g", value.rounded())
    }
}
