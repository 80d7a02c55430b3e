import Attribution
import Foundation
import Rendering
import Wavelets

/// The version written into every document.
public enum WamVersion {
    public static let current = "0.1.0"
}

/// Everything explaining one window produces.
public struct WindowResult: Sendable {
    public let window: InputWindow
    public let explanation: Explanation
    public var document: ExplanationDocument
    /// The input rebuilt from its most important coefficients.
    public let interpretation: [Float]
    public let transform: WaveletTransform
}

/// A window that cannot be explained because of what it holds: an input error, counted and
/// reported, never a crash or a half-written result.
public struct InvalidWindow: Error, CustomStringConvertible, Equatable {
    /// The window's position and first sample (at the model's rate, for audio).
    public let index: Int
    public let startSample: Int
    public let file: String
    public let reason: String

    init(window: InputWindow, input: InputSignal, reason: String) {
        (index, startSample, file, self.reason) = (window.index, window.startSample, input.file, reason)
    }

    public var description: String {
        "\(file): window \(index)\(startSample > 0 ? " (sample \(startSample))" : ""): \(reason)"
    }
}

/// Explains the windows of an input with one classifier and one set of settings.
public struct WindowExplainer: Sendable {
    public let classifier: Classifier
    public let settings: ExplanationSettings

    public init(classifier: Classifier, settings: ExplanationSettings) {
        self.classifier = classifier
        self.settings = settings
    }

    /// Explains `window` of `input`.
    /// - Throws: `InvalidWindow` when the window holds NaN or infinite samples, or the model's
    ///   outputs or the attributions for it are not finite (nothing is written for it); other
    ///   errors when the explanation fails.
    public func explain(_ window: InputWindow, of input: InputSignal) throws -> WindowResult {
        let started = Date()
        if let bad = window.samples.firstIndex(where: { !$0.isFinite }) {
            throw InvalidWindow(
                window: window, input: input,
                reason: "sample \(window.startSample + bad) is \(window.samples[bad]); NaN or infinity cannot be explained")
        }
        let transform = try settings.transform(exampleShape: classifier.inputShape, kind: input.kind)
        let explainer = try Explainer(
            model: classifier.holding(window.state.isEmpty ? classifier.initialState : window.state), representation: transform,
            maxBatch: classifier.engine.options.maxBatch)
        let explanation = try explainer.explain(window.samples, method: settings.method, target: settings.target)
        guard explanation.logits.allSatisfy(\.isFinite) else {
            throw InvalidWindow(
                window: window, input: input,
                reason: "the model's outputs are not finite (NaN or infinite): "
                    + "samples this large or odd overflow it")
        }
        guard explanation.attribution.allSatisfy(\.isFinite) else {
            throw InvalidWindow(window: window, input: input, reason: "the attributions are not finite (NaN or infinite)")
        }
        let kept = try Interpretation.mask(
            attribution: explanation.attribution, coefficients: explanation.coefficients,
            rule: settings.interpretation, layout: transform.layout)
        let interpretation = Interpretation.rebuild(coefficients: explanation.coefficients, mask: kept, representation: transform)
        let document = makeDocument(
            window: window, input: input, explanation: explanation, transform: transform,
            interpretation: interpretationInfo(explanation, kept: kept, layout: transform.layout), seconds: Date().timeIntervalSince(started))
        return WindowResult(
            window: window, explanation: explanation, document: document, interpretation: interpretation,
            transform: transform)
    }

    /// The interpretation's rule, order, size and agreement with the model-free ranking by |z|.
    private func interpretationInfo(_ explanation: Explanation, kept: [Float], layout: CoefficientLayout) -> ExplanationDocument.InterpretationInfo {
        let (a, z) = (explanation.attribution, explanation.coefficients)
        let keptCount = Int(kept.reduce(0, +))
        var info = ExplanationDocument.InterpretationInfo(
            rule: "top", order: RankingOrder.magnitude.rawValue, keep: nil, threshold: nil, width: nil, keptCoefficients: keptCount,
            totalCoefficients: a.count)
        let score: [Float]
        switch settings.interpretation {
        case let .top(fraction, order):
            (info.keep, info.order) = (fraction, order.rawValue)
            score = order == .signed ? a : a.map(abs)
        case let .topEvidence(fraction, width):
            (info.rule, info.keep, info.width) = ("evidence", fraction, width)
            score = BandSmoothing.average(zip(a, z).map { abs($0 * $1) }, layout: layout, width: width)
        case let .perLevel(threshold):
            (info.rule, info.threshold) = ("per_level", threshold)
            score = a.map(abs)
        }
        let magnitude = z.map(abs)
        // A silent input has no largest coefficients to compare with.
        guard magnitude.contains(where: { $0 > 0 }), keptCount > 0 else { return info }
        let byMagnitude = Ranking(magnitude).keepMask(top: keptCount)
        let shared = zip(kept, byMagnitude).reduce(0) { $0 + ($1.0 == 1 && $1.1 == 1 ? 1 : 0) }
        info.magnitudeAgreement = .init(
            keptOverlap: Double(shared) / Double(keptCount),
            spearman: Correlation.spearman(score, magnitude))
        return info
    }

    private func makeDocument(
        window: InputWindow, input: InputSignal, explanation: Explanation, transform: WaveletTransform,
        interpretation: ExplanationDocument.InterpretationInfo, seconds: Double
    ) -> ExplanationDocument {
        let probabilities = classifier.scale.probabilities(explanation.logits)
        func score(_ index: Int) -> ExplanationDocument.ClassScore {
            ExplanationDocument.ClassScore(
                index: index, label: classifier.labels[index], logit: Double(explanation.logits[index]),
                probability: probabilities[index])
        }
        let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        var method = ExplanationDocument.Method(
            name: settings.method.name, domain: "wavelet", wavelet: transform.wavelet.name,
            mode: transform.mode.rawValue, levels: transform.levels)
        switch settings.method {
        case .gradient: break
        case let .smoothgrad(options):
            (method.samples, method.spread, method.seed) = (options.samples, options.spread, options.seed)
        case let .intgrad(options):
            switch options.steps {
            case let .fixed(steps): (method.steps, method.stepRule) = (steps, "fixed")
            case let .auto(tolerance, maxSteps): (method.stepRule, method.tolerance, method.maxSteps) = ("auto", tolerance, maxSteps)
            }
        }
        return ExplanationDocument(
            schemaVersion: ExplanationDocument.currentSchemaVersion,
            tool: .init(name: "wam", version: WamVersion.current),
            model: .init(
                file: classifier.url.path, sha256: classifier.sha256, classes: classifier.labels,
                inputShape: classifier.inputShape, outputScale: classifier.scale.rawValue,
                otherInputs: classifier.otherInputs(carried: !window.state.isEmpty)),
            input: .init(
                file: input.file, kind: input.kind, sampleRate: input.sampleRate, fileSampleRate: input.fileSampleRate,
                fileChannels: input.fileChannels, windowIndex: window.index, windowCount: input.windowCount,
                windowStart: window.startSample, windowLength: window.samples.count, paddedSamples: window.paddedSamples),
            stream: nil,
            method: method,
            prediction: score(ranked[0]),
            topClasses: ranked.prefix(3).map(score),
            target: score(explanation.target),
            completeness: explanation.integration.map {
                .init(steps: $0.steps, gap: $0.gap, relativeGap: $0.relativeGap, expectedTotal: $0.expectedTotal, converged: $0.converged)
            },
            cost: .init(
                gradientEvaluations: explanation.gradientEvaluations, forwardEvaluations: explanation.forwardEvaluations,
                seconds: seconds),
            scaleProfile: ScaleProfile(attribution: explanation.attribution, layout: transform.layout, sampleRate: input.sampleRate),
            scalogram: input.kind == .audio
                ? Scalogram(attribution: explanation.attribution, layout: transform.layout, bins: settings.scalogramBins) : nil,
            interpretation: interpretation,
            files: .init()
        )
    }

    /// The picture of a result: waveform over scalogram for audio, per-level maps over the
    /// image, per-level middle slices of a volume.
    public func picture(_ result: WindowResult) -> Raster {
        let document = result.document
        if let plot = document.audioPlot(input: result.window.samples, interpretation: result.interpretation) { return plot.render() }
        let (title, subtitle) = (document.pictureTitle, document.pictureSubtitle)
        let layout = result.transform.layout
        let extents = layout.axes.map { layout.signalShape[$0] }
        let maps = LevelMaps.maps(attribution: result.explanation.attribution, layout: layout)
        var panels: [MapPlot.Panel] = []
        if extents.count == 2 {
            let (h, w) = (extents[0], extents[1])
            panels.append(.init(caption: "input", width: w, height: h, values: [], background: result.window.samples))
            panels.append(
                .init(
                    caption: "kept \(document.interpretation.keptCoefficients)", width: w, height: h, values: [],
                    background: result.interpretation))
            if let mosaic = Mosaic.arrange(attribution: result.explanation.attribution, layout: layout) {
                panels.append(
                    .init(
                        caption: "wavelet domain", width: mosaic.width, height: mosaic.height, values: mosaic.values,
                        background: nil))
            }
            for map in maps { panels.append(.init(caption: map.name, width: w, height: h, values: map.values, background: result.window.samples)) }
            return MapPlot(title: title, subtitle: subtitle, panels: panels, columns: min(panels.count, 6)).render()
        }
        // Volumes: the middle slice along each axis, for the input and every level.
        let sources: [(String, [Float], [Float])] =
            [("input", [], result.window.samples)]
            + maps.map { ($0.name, $0.values, result.window.samples) }
        for (name, values, background) in sources {
            for axis in 0..<3 {
                let slice = Self.middleSlice(values.isEmpty ? background : values, extents: extents, axis: axis)
                let backgroundSlice = Self.middleSlice(background, extents: extents, axis: axis)
                panels.append(
                    .init(
                        caption: "\(name) axis \(axis)", width: slice.width, height: slice.height,
                        values: values.isEmpty ? [] : slice.values, background: backgroundSlice.values))
            }
        }
        return MapPlot(title: title, subtitle: subtitle, panels: panels, columns: 3).render(cell: 120)
    }

    static func middleSlice(_ volume: [Float], extents: [Int], axis: Int) -> (width: Int, height: Int, values: [Float]) {
        let others = (0..<3).filter { $0 != axis }
        let (height, width) = (extents[others[0]], extents[others[1]])
        var values: [Float] = []
        for i in 0..<height {
            for j in 0..<width {
                var index = [0, 0, 0]
                index[axis] = extents[axis] / 2
                index[others[0]] = i
                index[others[1]] = j
                values.append(volume[(index[0] * extents[1] + index[1]) * extents[2] + index[2]])
            }
        }
        return (width, height, values)
    }
}
