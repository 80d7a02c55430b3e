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
            prediction survives with only the top half kept). The references random, magnitude, \
            input-random and input-magnitude need no model (a seeded random ranking, the coefficients' \
            own size): a method must beat them to mean anything. Features are ranked by --order: by |a| \
            (magnitude, the default), by a (signed: the evidence for the class first), or auto (signed \
            for integrated gradients and input x gradient, magnitude for the rest); several orders \
            give a row each. With --denoise SNR the clean inputs are \
            mixed with white noise and the interpretations' SI-SDR is compared with wavelet thresholding, \
            block thresholding and an oracle.
            """
    )

    @Option(help: "The model (.onnx); default: the bundled audio model.")
    var model: String?

    @Option(help: "Labelled inputs: a folder per class, or a CSV of path,label.")
    var data: String

    @Option(help: "Comma-separated methods: \(EvaluationMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var methods: String = "wam-intgrad,wam-smoothgrad,wam-gradient,intgrad,smoothgrad,saliency,magnitude,random,input-magnitude,input-random"

    @Option(
        help:
            "How features are ranked for the metrics, comma-separated for several: magnitude (|a|, the default), signed (a), auto (signed for integrated gradients and input x gradient, magnitude for the rest)."
    )
    var order: String?

    @Option(help: "Seed of the random references.")
    var seed: UInt64 = 0

    @Option(help: "Comma-separated metrics: \(Metric.allCases.map(\.rawValue).joined(separator: ", ")).")
    var metrics: String = "insertion,deletion,faithfulness,mufidelity,ff,fidin"

    @Option(help: "Evaluate at most this many inputs (spread over the classes).")
    var limit: Int?

    @Option(help: "Run the denoising experiment at this signal-to-noise ratio (dB) instead.")
    var denoise: Double?

    @Option(
        help:
            "Run the separation experiment instead: mix clips of the classes before the colon with clips of those after it (e.g. yes,no:piano,violin) at equal power, and extract each class by its explanation."
    )
    var separate: String?

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
        let modes = [sanity ? "--sanity" : nil, denoise.map { _ in "--denoise" }, separate.map { _ in "--separate" }].compactMap { $0 }
        if modes.count > 1 { throw ValidationError("\(modes.joined(separator: " and ")) are different experiments; run them one at a time") }
        if let first = modes.first, order != nil {
            throw ValidationError("--order ranks the features of the faithfulness metrics; \(first) does not use it")
        }
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
        var orders: [MetricOrder] = []
        for order in try MetricOrder.list(order ?? "magnitude", key: "--order") where !orders.contains(order) { orders.append(order) }
        let settings = ExplanationSettings(wavelet: try Wavelet(wavelet), mode: mode, levels: levels)
        let options = MethodOptions(
            smoothgrad: SmoothGradOptions(samples: samples, spread: spread),
            intgrad: IntegratedGradientsOptions(steps: .fixed(steps)), gradcamLayer: gradcamLayer, seed: seed)
        let set = try LabelledSet(path: data)
        try set.check(classes: classifier.labels)
        var examples = set.examples
        // --separate limits the mixtures, not the clips.
        if let limit, separate == nil { examples = Self.spread(examples, limit: limit) }
        // Created (or refused, naming the folder) before any work.
        let folder = try out.map { try ResultWriter(folder: URL(fileURLWithPath: $0)).folder }
        if sanity {
            try runSanityCheck(
                RandomizationCheck(classifier: classifier, settings: settings, options: options, methods: chosen),
                examples: examples, folder: folder)
            return
        }
        if separate != nil || denoise != nil, !chosen.contains(where: { $0.isWavelet && !$0.isReference }) {
            throw WorkflowError(
                source: "--methods",
                reason: "--denoise and --separate need at least one WAM method (wam-intgrad, wam-smoothgrad, wam-gradient): "
                    + "the model-free estimators are always in their tables")
        }
        if let separate {
            let groups = try Self.classGroups(separate, labels: classifier.labels)
            for (side, group) in [("before", groups.first), ("after", groups.second)] where !examples.contains(where: { group.contains($0.label) }) {
                throw WorkflowError(
                    source: "--separate \(separate)",
                    reason: "\(data) has no clips of the classes \(side) the colon (\(group.sorted().joined(separator: ", ")))")
            }
            let pairs = SeparationEvaluation.pairs(examples, first: groups.first, second: groups.second, limit: limit)
            try runSeparation(
                SeparationEvaluation(classifier: classifier, settings: settings, options: options, methods: chosen), pairs: pairs,
                folder: folder)
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
        evaluation.orders = orders
        let scores = try Self.each(examples, label: "evaluating") { try evaluation.evaluate($1, sampleRate: rate) }
        let rows = FaithfulnessEvaluation.rows(methods: chosen, orders: orders)
        let table = FaithfulnessEvaluation.summarize(scores, rows: rows, metrics: measured)
        let accuracy = Dictionary(grouping: scores, by: \.file).values.filter { $0[0].label == $0[0].predicted }.count
        print(
            "\(examples.count) inputs from \(data), model \(modelURL.lastPathComponent) "
                + "(accuracy \(accuracy)/\(examples.count)); \(settings.wavelet.name) \(settings.mode.rawValue), "
                + "\(levels.map { "\($0)" } ?? "default") levels, intgrad \(steps) steps, smoothgrad n=\(samples) spread \(spread), "
                + "order \(orders.map(\.rawValue).joined(separator: ","))")
        print(Self.render(table, rows: rows, metrics: measured))
        if let folder {
            try ResultWriter(folder: folder).writeJSON(scores, to: folder.appendingPathComponent("eval-scores.json"))
            try Self.csv(table, rows: rows, metrics: measured).write(
                to: folder.appendingPathComponent("eval-table.csv"),
                atomically: true, encoding: .utf8)
            print("Wrote eval-scores.json and eval-table.csv to \(folder.path)")
        }
    }

    private func runDenoising(_ evaluation: DenoisingEvaluation, examples: [LabelledSet.Example], folder: URL?) throws {
        let snr = evaluation.snr
        let clips = try Self.each(examples, label: "denoising") { [try evaluation.evaluate($1, index: $0, sampleRate: rate)] }
        print("Denoising at \(snr) dB SNR, \(clips.count) clips; SI-SDR in dB (mean), gain over the noisy input in brackets.")
        print(String(format: "noisy input: %.2f dB", Self.mean(clips.map(\.noisy))))
        print(Self.maskTable(clips, references: evaluation.referenceNames(), rows: "clips"))
        if let folder {
            try ResultWriter(folder: folder).writeJSON(clips, to: folder.appendingPathComponent("denoise-\(snr)dB.json"))
        }
    }

    private func runSeparation(
        _ evaluation: SeparationEvaluation, pairs: [(LabelledSet.Example, LabelledSet.Example)], folder: URL?
    ) throws {
        let clips = try Self.each(pairs, label: "separating") { try evaluation.evaluate($1, sampleRate: rate) }
        print(
            "Separation: \(pairs.count) two-class mixtures at equal power, each class extracted by its explanation (\(clips.count) rows); "
                + "SI-SDR in dB against the extracted class's source (mean), gain over the mixture in brackets.")
        print(String(format: "mixture: %.2f dB", Self.mean(clips.map(\.noisy))))
        print(Self.maskTable(clips, references: evaluation.referenceNames(), rows: "extractions"))
        if let folder {
            try ResultWriter(folder: folder).writeJSON(clips, to: folder.appendingPathComponent("separate.json"))
        }
    }

    /// What `body` gives for every item (with its index), in order, under a progress bar.
    static func each<Item, Value>(_ items: [Item], label: String, _ body: (Int, Item) throws -> [Value]) rethrows -> [Value] {
        var progress = ProgressBar(total: items.count, label: label)
        var values: [Value] = []
        for (index, item) in items.enumerated() {
            values += try body(index, item)
            progress.advance()
        }
        progress.finish()
        return values
    }

    /// Two groups of classes, `A,B:C,D`, each known to the model, disjoint.
    static func classGroups(_ text: String, labels: [String]) throws(WorkflowError) -> (first: Set<String>, second: Set<String>) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map {
            Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw WorkflowError(
                source: "--separate \(text)", reason: "expected two comma-separated class lists joined by a colon, e.g. yes,no:piano,violin")
        }
        if let unknown = parts.joined().first(where: { !labels.contains($0) }) {
            throw WorkflowError(
                source: "--separate", reason: "unknown class \"\(unknown)\"; the model's classes are \(labels.joined(separator: ", "))")
        }
        if let shared = parts[0].intersection(parts[1]).first {
            throw WorkflowError(source: "--separate", reason: "class \"\(shared)\" is in both groups; a mixture needs two different classes")
        }
        return (parts[0], parts[1])
    }

    /// Mean SI-SDR of every estimator at every fraction, the model-free ones first (marked), then
    /// the held-out comparison of the best of each kind.
    static func maskTable(_ clips: [DenoisingEvaluation.Clip], references: [String], rows noun: String) -> String {
        let base = mean(clips.map(\.noisy))
        let explained = clips[0].rows.keys.filter { !references.contains($0) }.sorted()
        var lines: [String] = []
        for name in references + explained {
            let columns = clips[0].rows[name]!.keys.sorted()
            let cells = columns.map { column -> String in
                let value = mean(clips.compactMap { $0.rows[name]?[column] })
                return String(format: "%@: %.2f (%+.2f)", column, value, value - base)
            }
            let label = name + (references.contains(name) ? " (ref)" : "")
            lines.append("  \(label.padding(toLength: 44, withPad: " ", startingAt: 0)) " + cells.joined(separator: "  "))
        }
        lines.append(
            "(ref): needs no model; block thresholding w ranks |z| averaged over w coefficients of a band. "
                + "SI-SDR is floored at \(Int(MaskEstimators.siSDRFloor)) dB (an estimate with nothing of the reference in it).")
        if clips.count >= 4 {
            lines.append(heldOut(clips, explained: explained, references: references.filter { !$0.hasPrefix("oracle") }, noun: noun))
        } else {
            lines.append("(the held-out comparison needs at least 4 \(noun); this run has \(clips.count))")
        }
        return lines.joined(separator: "\n")
    }

    /// The best explanation-guided estimator and kept fraction chosen on half the rows
    /// (development: rows 0, 1, 4, 5, ...), and its gain on the other half (held out) next to the
    /// best model-free one chosen the same way.
    static func heldOut(_ clips: [DenoisingEvaluation.Clip], explained: [String], references: [String], noun: String) -> String {
        // By pairs of rows, so that both classes of one mixture fall on the same side.
        let development = clips.enumerated().filter { $0.offset / 2 % 2 == 0 }.map(\.element)
        let held = clips.enumerated().filter { $0.offset / 2 % 2 == 1 }.map(\.element)
        func gain(_ set: [DenoisingEvaluation.Clip], _ name: String, _ column: String) -> Double {
            mean(set.compactMap { clip in clip.rows[name]?[column].map { $0 - clip.noisy } })
        }
        func best(_ names: [String]) -> (name: String, column: String) {
            let candidates = names.flatMap { name in clips[0].rows[name]!.keys.map { (name: name, column: $0) } }
            return candidates.max { gain(development, $0.name, $0.column) < gain(development, $1.name, $1.column) }!
        }
        let (guided, reference) = (best(explained), best(references))
        return String(
            format: "Chosen on %d development %@, measured on %d held-out %@: %@ at %@: %+.2f dB; %@ at %@: %+.2f dB (difference %+.2f dB)",
            development.count, noun, held.count, noun, guided.name, guided.column, gain(held, guided.name, guided.column), reference.name,
            reference.column, gain(held, reference.name, reference.column),
            gain(held, guided.name, guided.column) - gain(held, reference.name, reference.column))
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }

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
        Array(LabelledSet.interleaved(examples).prefix(limit))
    }

    static let direction: [Metric: String] = [.insertion: "↑", .deletion: "↓", .faithfulness: "↑", .mufidelity: "↑", .ff: "↑", .fidin: "↑"]

    /// The table: one row per method and order; the model-free references are marked.
    static func render(_ table: [FaithfulnessEvaluation.Row: [Metric: Double]], rows: [FaithfulnessEvaluation.Row], metrics: [Metric]) -> String {
        var lines = ["method                 order     " + metrics.map { "\($0.rawValue) \(direction[$0]!)".leftPadded(16) }.joined()]
        for row in rows {
            let name = row.method.rawValue + (row.method.isReference ? " (ref)" : "")
            lines.append(
                name.padding(toLength: 23, withPad: " ", startingAt: 0) + row.order.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + metrics.map { ((table[row]?[$0]).map { String(format: "%.3f", $0) } ?? "-").leftPadded(16) }.joined())
        }
        if rows.contains(where: \.method.isReference) {
            lines.append("(ref): a model-free reference (a seeded random ranking, or the coefficients' own magnitude)")
        }
        return lines.joined(separator: "\n")
    }

    /// The table as CSV: method, whether it is a reference, the order, then the metrics.
    static func csv(_ table: [FaithfulnessEvaluation.Row: [Metric: Double]], rows: [FaithfulnessEvaluation.Row], metrics: [Metric]) -> String {
        let header = "method,reference,order," + metrics.map(\.rawValue).joined(separator: ",")
        let lines = rows.map { row in
            "\(row.method.rawValue),\(row.method.isReference),\(row.order.rawValue),"
                + metrics.map { table[row]?[$0].map { "\($0)" } ?? "" }.joined(separator: ",")
        }
        return ([header] + lines).joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
