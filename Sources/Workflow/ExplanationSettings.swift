import Attribution
import Wavelets

/// How to explain: the method and the representation it works in, the target and the
/// interpretation rule.
public struct ExplanationSettings: Sendable {
    public var method: AttributionMethod
    public var wavelet: Wavelet
    public var mode: ExtensionMode
    /// Levels of the transform; nil picks `defaultLevels`.
    public var levels: Int?
    /// The class to explain (index); nil explains the top prediction.
    public var target: Int?
    public var interpretation: InterpretationRule
    /// Columns of the scalogram in the JSON (audio).
    public var scalogramBins: Int

    public init(
        method: AttributionMethod = .intgrad(IntegratedGradientsOptions()), wavelet: Wavelet,
        mode: ExtensionMode = .symmetric, levels: Int? = nil, target: Int? = nil,
        interpretation: InterpretationRule = .top(fraction: 0.1), scalogramBins: Int = 200
    ) {
        self.method = method
        self.wavelet = wavelet
        self.mode = mode
        self.levels = levels
        self.target = target
        self.interpretation = interpretation
        self.scalogramBins = scalogramBins
    }

    /// Levels used when none are given: as deep as the signal allows, at most 6 for audio
    /// (an approximation band under 125 Hz at 16 kHz) and 3 for images and volumes.
    public static func defaultLevels(kind: SignalKind, maximum: Int) -> Int {
        max(1, min(maximum, kind == .audio ? 6 : 3))
    }

    /// The wavelet transform of one model example: every axis but a leading channel axis.
    public func transform(exampleShape: [Int], kind: SignalKind) throws -> WaveletTransform {
        let axes = exampleShape.count > 1 ? Array(1..<exampleShape.count) : [0]
        let extents = axes.map { exampleShape[$0] }
        let levels =
            levels
            ?? Self.defaultLevels(
                kind: kind,
                maximum: WaveletTransform.maxLevel(
                    lengths: extents, filterLength: wavelet.filterLength))
        return try WaveletTransform(wavelet: wavelet, mode: mode, signalShape: exampleShape, levels: levels, axes: axes)
    }
}
