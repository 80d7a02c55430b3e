import ArgumentParser
import Attribution
import CommandSupport
import Foundation
import Wavelets
import Workflow

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure how faithful explanation methods are on a labelled set, or how well they denoise.",
        discussion: """
            --data is a folder with one subfolder per class, or a CSV of `path,label` rows. Each method \
            explains the model's prediction on every input; the table shows per method the mean \
            insertion and deletion AUC (trapezoid), faithfulness (insertion - deletion), mu-fidelity, \
            the median FF (logit drop with the top half removed) and Fid-In (share of inputs whose \
            prediction survives with only the top half kept). With --denoise SNR the clean inputs are \
            mixed with white noise and the interpretations' SI-SDR is compared with wavelet thresholding \
            and an oracle.
            """
    )

    @Option(help: "The model (.onnx); default: the bundled audio model.")
    var model: String?

    @Option(help: "Labelled inputs: a folder per class, or a CSV of path,label.")
    var data: String

    @Option(help: "Comma-separated methods: \(EvaluationMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var methods: String = "wam-intgrad,wam-smoothgrad,wam-gradient,intgrad,smoothgrad,saliency"

    @Option(help: "Comma-separated metrics: \(Metric.allCases.map(\.rawValue).joined(separator: ", ")).")
    var metrics: String = "insertion,deletion,faithfulness,mufidelity,ff,fidin"

    @Option(help: "Evaluate at most this many inputs (spread over the classes).")
    var limit: Int?

    @Option(help: "Run the denoising experiment at this signal-to-noise ratio (dB) instead.")
    var denoise: Double?

    @Flag(
        help:
            "Run the cascading randomisation check instead: re-initialise layers from the top down and report the Spearman rank correlation of each method's explanations with the trained model's."
    )
    var sanity = false

    @Option(help: "Wavelet.") var wavelet: String = "db4"
    @Option(help: "Decomposition levels; default as in `wam explain`.") var levels: Int?
    @Option(help: "Extension mode.") var mode = ExtensionMode.symmetric
    @Option(help: "SmoothGrad samples.") var samples: Int = 25
    @Option(help: "SmoothGrad spread.") var spread: Double = 0.1
    @Option(help: "Integrated gradients steps.") var steps: Int = 32
    @Option(help: "Insertion/deletion curve points minus one (K).") var insertionSteps: Int = 64
    @Option(help: "GradCAM's feature map (tensor name, see `wam model info`).") var gradcamLayer: String?
    @Option(help: "Audio: the model's sample rate in Hz.") var rate: Double = 16000
    @Option(help: "Threads for the model.") var threads: Int = 1
    @Option(help: "Most examples per model call.") var maxBatch: Int = 16

    @Option(help: "Folder for the results as JSON (every input) and CSV (the table).")
    var out: String?

    func validate() throws {
        if let limit { try Check.range(limit, 1...1_000_000, "--limit") }
        if let denoise { try Check.range(denoise, -60...60, "--denoise", unit: " dB") }
        if let levels { try Check.range(levels, 1...30, "--levels") }
        try Check.range(samples, 1...10_000, "--samples")
        try Check.range(spread, 0...10, "--spread")
        try Check.range(steps, 1...100_000, "--steps")
        try Check.range(insertionSteps, 1...10_000, "--insertion-steps")
        try Check.sampleRate(rate, "--rate")
        try Check.range(threads, 1...64, "--threads")
        try Check.range(maxBatch, 1...1024, "--max-batch")
    }

    func run() throws {
        let modelURL =
            try model.map { URL(fileURLWithPath: $0) }
            ?? Classifier.bundledModel().orThrow(
                WorkflowError(source: "--model", reason: "no model given and the bundled Samples/models/audio-resnet.onnx was not found"))
        let classifier = try Classifier(url: modelURL, threads: threads, maxBatch: maxBatch)
        let chosen = try EvaluationMethod.list(methods, key: "--methods"), measured = try Metric.list(metrics, key: "--metrics")
        let settings = ExplanationSettings(wavelet: try Wavelet(wavelet), mode: mode, levels: levels)
        let options = MethodOptions(
            smoothgrad: SmoothGradOptions(samples: samples, spread: spread),
            intgrad: IntegratedGradientsOptions(steps: .fixed(steps)), gradcamLayer: gradcamLayer)
        let set = try LabelledSet(path: data)
        try set.check(classes: classifier.labels)
        var examples = set.examples
        if let limit { examples = Self.spread(examples, limit: limit) }
        let folder = try out.map { path -> URL in
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        if sanity {
            try runSanityCheck(
                RandomizationCheck(classifier: classifier, settings: settings, options: options, methods: chosen),
                examples: examples, folder: folder)
            return
        }
        if let denoise {
            try runDenoising(
                DenoisingEvaluation(classifier: classifier, settings: settings, options: options, methods: chosen, snr: denoise),
                examples: examples, folder: folder)
            return
        }
        var evaluation = FaithfulnessEvaluation(
            classifier: classifier, settings: settings, options: options, methods: chosen,
            metrics: measured)
        evaluation.insertionSteps = insertionSteps
        var progress = ProgressBar(total: examples.count, label: "evaluating")
        var scores: [FaithfulnessEvaluation.Scores] = []
        for example in examples {
            scores += try evaluation.evaluate(example, sampleRate: rate)
            progress.advance()
        }
        progress.finish()
        let table = FaithfulnessEvaluation.summarize(scores, methods: chosen, metrics: measured)
        let accuracy = Dictionary(grouping: scores, by: \.file).values.filter { $0[0].label == $0[0].predicted }.count
        print(
            "\(examples.count) inputs from \(data), model \(modelURL.lastPathComponent) "
                + "(accuracy \(accuracy)/\(examples.count)); \(settings.wavelet.name) \(settings.mode.rawValue), "
                + "\(levels.map { "\($0)" } ?? "default") levels, intgrad \(steps) steps, smoothgrad n=\(samples) spread \(spread)")
        print(Self.render(table, methods: chosen, metrics: measured))
        if let folder {
            try ResultWriter(folder: folder).writeJSON(scores, to: folder.appendingPathComponent("eval-scores.json"))
            try Self.csv(table, methods: chosen, metrics: measured).write(
                to: folder.appendingPathComponent("eval-table.csv"),
                atomically: true, encoding: .utf8)
            print("Wrote eval-scores.json and eval-table.csv to \(folder.path)")
        }
    }

    private func runDenoising(_ evaluation: DenoisingEvaluation, examples: [LabelledSet.Example], folder: URL?) throws {
        let snr = evaluation.snr
        var progress = ProgressBar(total: examples.count, label: "denoising")
        var clips: [DenoisingEvaluation.Clip] = []
        for (index, example) in examples.enumerated() {
            clips.append(try evaluation.evaluate(example, index: index, sampleRate: rate))
            progress.advance()
        }
        progress.finish()
        let noisy = clips.map(\.noisy).reduce(0, +) / Double(clips.count)
        print("Denoising at \(snr) dB SNR, \(clips.count) clips; SI-SDR in dB (mean), gain over the noisy input in brackets.")
        print(String(format: "noisy input: %.2f dB", noisy))
        let names = clips[0].rows.keys.sorted()
        for name in names {
            let columns = clips[0].rows[name]!.keys.sorted()
            let cells = columns.map { column -> String in
                let mean = clips.compactMap { $0.rows[name]?[column] }.reduce(0, +) / Double(clips.count)
                return String(format: "%@: %.2f (%+.2f)", column, mean, mean - noisy)
            }
            print("  \(name.padding(toLength: 36, withPad: " ", startingAt: 0)) " + cells.joined(separator: "  "))
        }
        if let folder {
            try ResultWriter(folder: folder).writeJSON(clips, to: folder.appendingPathComponent("denoise-\(snr)dB.json"))
        }
    }

    private func runSanityCheck(_ check: RandomizationCheck, examples: [LabelledSet.Example], folder: URL?) throws {
        let steps = try check.run(examples, sampleRate: rate)
        print("Cascading randomisation, \(examples.count) inputs: mean Spearman correlation of |a| with the trained model's explanation")
        print(
            "layers  last re-initialised".padding(toLength: 44, withPad: " ", startingAt: 0)
                + check.methods.map { $0.rawValue.leftPadded(16) }.joined())
        for step in steps {
            let name = step.lastLayer.map { String($0.suffix(34)) } ?? "(trained)"
            print(
                String(format: "%6d  ", step.layersRandomized) + name.padding(toLength: 36, withPad: " ", startingAt: 0)
                    + check.methods.map { String(format: "%.3f", step.spearman[$0.rawValue] ?? .nan).leftPadded(16) }.joined())
        }
        if let folder { try ResultWriter(folder: folder).writeJSON(steps, to: folder.appendingPathComponent("sanity.json")) }
    }

    /// At most `limit` examples, taken round-robin over the classes.
    static func spread(_ examples: [LabelledSet.Example], limit: Int) -> [LabelledSet.Example] {
        var byClass = Dictionary(grouping: examples, by: \.label).sorted { $0.key < $1.key }.map { $0.value[...] }
        var chosen: [LabelledSet.Example] = []
        while chosen.count < limit, byClass.contains(where: { !$0.isEmpty }) {
            for i in byClass.indices where chosen.count < limit {
                if let next = byClass[i].popFirst() { chosen.append(next) }
            }
        }
        return chosen
    }

    static let direction: [Metric: String] = [.insertion: "↑", .deletion: "↓", .faithfulness: "↑", .mufidelity: "↑", .ff: "↑", .fidin: "↑"]

    static func render(_ table: [EvaluationMethod: [Metric: Double]], methods: [EvaluationMethod], metrics: [Metric]) -> String {
        var lines = ["method          " + metrics.map { "\($0.rawValue) \(direction[$0]!)".leftPadded(16) }.joined()]
        for method in methods {
            lines.append(
                method.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + metrics.map { ((table[method]?[$0]).map { String(format: "%.3f", $0) } ?? "-").leftPadded(16) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    static func csv(_ table: [EvaluationMethod: [Metric: Double]], methods: [EvaluationMethod], metrics: [Metric]) -> String {
        (["method," + metrics.map(\.rawValue).joined(separator: ",")]
            + methods.map { method in method.rawValue + "," + metrics.map { table[method]?[$0].map { "\($0)" } ?? "" }.joined(separator: ",") })
            .joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
