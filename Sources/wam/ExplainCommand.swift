import ArgumentParser
import CommandSupport
import Foundation
import Workflow

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain what a classifier relies on in a sound, image or volume (WAM).",
        discussion: """
            Audio of any format, rate or channel count is downmixed, resampled to the model's rate \
            and cut into windows of the model's length. Per window OUT gets <name>.json (prediction, \
            scale profile, scalogram, settings), <name>.wav (the interpretation: the input rebuilt \
            from its most important wavelet coefficients) and <name>.png (waveform over scalogram); \
            plus summary.json. Images (.png) and volumes (.npy) work the same with their models.
            """
    )

    @Argument(help: "The input: a sound file, a .png image or a .npy image/volume.")
    var input: String

    @Option(help: "Also save the raw signed attributions per band (pywt keys, leading window axis for audio) to this .npz.")
    var attributions: String?

    @OptionGroup var options: ExplainOptions

    @Option(help: "Windows explained at once, sharing one loaded model (the files do not depend on it).")
    var jobs: Int = 1

    @Option(help: "Output folder.")
    var out: String

    func validate() throws {
        try Check.range(jobs, 1...64, "--jobs")
    }

    func run() throws {
        let classifier = try options.classifier()
        var request = try options.request
        request.target = try options.target.map(classifier.classIndex)
        let outcome = try FileExplanation(classifier: classifier, request: request, options: options)
            .run(
                input: input, into: URL(fileURLWithPath: out), attributions: attributions.map { URL(fileURLWithPath: $0) }, progress: true,
                jobs: jobs)
        let summary = outcome.summary
        print(
            ExplanationReport.text(
                summary, tables: summary.windows.count <= ExplanationReport.tablesUpTo ? outcome.shown : [], output: out,
                pictures: !options.noPicture))
        if !outcome.skipped.isEmpty {
            throw WorkflowError(
                source: input,
                reason: "\(outcome.skipped.count) of \(outcome.skipped.count + summary.windows.count) windows could not be "
                    + "explained (listed above and in summary.json)")
        }
    }
}
