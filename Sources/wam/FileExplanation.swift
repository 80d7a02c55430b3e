import Foundation
import Workflow

/// One input explained into one folder: per window `<name>.json`, `.wav` and `.png`, then
/// `summary.json`. Only the summary grows with the input; each window's results go to disk and
/// are dropped.
struct FileExplanation {
    let classifier: Classifier
    let request: ExplanationRequest
    let options: ExplainOptions

    /// What an input gave.
    struct Outcome {
        var summary: ExplanationSummary
        /// The first documents, for the report's tables.
        var shown: [ExplanationDocument]
        var skipped: [InvalidWindow]
    }

    /// Explains `input` into `folder` (created if needed); the window files are named after the
    /// input's stem. `attributions`, if given, is where the raw attributions are saved (.npz);
    /// `progress` draws a bar over the windows; `each` sees every window's document.
    func run(
        input: String, into folder: URL, attributions attributionsURL: URL? = nil, progress showsProgress: Bool,
        each: (ExplanationDocument) -> Void = { _ in }
    ) throws -> Outcome {
        let settings = try request.settings()
        let reader = try InputReader(
            url: URL(fileURLWithPath: input), exampleShape: classifier.inputShape, sampleRate: options.rate, hop: options.hop)
        let signal = reader.signal
        let explainer = WindowExplainer(classifier: classifier, settings: settings)
        _ = try settings.transform(exampleShape: classifier.inputShape, kind: signal.kind)  // bad levels fail before any output
        var writer = try ResultWriter(folder: folder)
        writer.writeInputAudio = options.inputAudio
        writer.writePicture = !options.noPicture
        let stem = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        var progress = ProgressBar(total: showsProgress ? signal.windowCount : 0, label: "explaining")
        var outcome = Outcome(summary: ExplanationSummary(documents: []), shown: [], skipped: [])
        var attributions = attributionsURL.map { AttributionArchive(url: $0, windowAxis: signal.kind == .audio) }
        var carrier = StateCarrier(classifier: classifier)
        while var window = try reader.next() {
            progress.advance()
            try carrier.enter(&window)  // explained from the state the previous windows left
            let result: WindowResult
            do {
                result = try explainer.explain(window, of: signal)
            } catch let invalid as InvalidWindow {
                outcome.skipped.append(invalid)
                if signal.windowCount > 1, showsProgress {
                    progress.clear()
                    FileHandle.standardError.write(Data("skipped: \(invalid)\n".utf8))
                }
                continue
            }
            let name = signal.windowCount == 1 ? stem : String(format: "%@-w%03d", stem, window.index)
            let document = try writer.write(result, stem: name) { explainer.picture(result) }
            outcome.summary.append(document)
            each(document)
            if outcome.shown.count < ExplanationReport.tablesUpTo { outcome.shown.append(document) }
            attributions?.append(result)
        }
        progress.finish()
        if outcome.summary.windows.isEmpty, let first = outcome.skipped.first { throw first }
        outcome.summary.skipped = outcome.skipped.map { .init($0) }
        try writer.writeJSON(outcome.summary, to: folder.appendingPathComponent("summary.json"))
        try attributions?.write()
        return outcome
    }
}
