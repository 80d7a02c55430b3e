import Foundation
import Rendering
import Synchronization
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
    /// `progress` draws a bar over the windows; `each` sees every window's document. `jobs`
    /// windows are explained at once (a stateful model's state is still carried in order: each
    /// window is given its state before the group is explained); the files are the same for any
    /// number of jobs.
    func run(
        input: String, into folder: URL, attributions attributionsURL: URL? = nil, progress showsProgress: Bool, jobs: Int = 1,
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
        var group: [InputWindow] = []
        let pictures = !options.noPicture
        // Explains the windows of `group` at once, then writes them in order.
        func explainGroup() throws {
            let results = Self.explain(group, of: signal, with: explainer, pictures: pictures)
            for (window, result) in zip(group, results) {
                progress.advance()
                let explained: (result: WindowResult, picture: Raster?)
                do {
                    explained = try result.get()
                } catch let invalid as InvalidWindow {
                    outcome.skipped.append(invalid)
                    if signal.windowCount > 1, showsProgress {
                        progress.clear()
                        FileHandle.standardError.write(Data("skipped: \(invalid)\n".utf8))
                    }
                    continue
                }
                let name = signal.windowCount == 1 ? stem : String(format: "%@-w%03d", stem, window.index)
                let document = try writer.write(explained.result, stem: name) { explained.picture ?? explainer.picture(explained.result) }
                outcome.summary.append(document)
                each(document)
                if outcome.shown.count < ExplanationReport.tablesUpTo { outcome.shown.append(document) }
                attributions?.append(explained.result)
            }
            group.removeAll(keepingCapacity: true)
        }
        while var window = try reader.next() {
            try carrier.enter(&window)  // explained from the state the previous windows left
            group.append(window)
            if group.count >= max(jobs, 1) { try explainGroup() }
        }
        try explainGroup()
        progress.finish()
        if outcome.summary.windows.isEmpty, let first = outcome.skipped.first { throw first }
        outcome.summary.skipped = outcome.skipped.map { .init($0) }
        try writer.writeJSON(outcome.summary, to: folder.appendingPathComponent("summary.json"))
        try attributions?.write()
        return outcome
    }

    /// Each window explained (and its picture drawn, when `pictures`), on as many threads as
    /// there are windows.
    private static func explain(
        _ windows: [InputWindow], of signal: InputSignal, with explainer: WindowExplainer, pictures: Bool
    ) -> [Result<(result: WindowResult, picture: Raster?), any Error>] {
        guard windows.count > 1 else {
            return windows.map { window in Result { try explainer.explain(window, of: signal) }.map { (result: $0, picture: nil) } }
        }
        let results = Mutex([Int: Result<(result: WindowResult, picture: Raster?), any Error>]())
        DispatchQueue.concurrentPerform(iterations: windows.count) { index in
            let result = Result { try explainer.explain(windows[index], of: signal) }.map {
                (result: $0, picture: pictures ? explainer.picture($0) : nil)
            }
            results.withLock { $0[index] = result }
        }
        return results.withLock { done in windows.indices.map { done[$0]! } }
    }
}
