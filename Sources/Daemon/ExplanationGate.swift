import Foundation

/// Why a classified window is, or is not, explained.
public enum GateDecision: String, Sendable, Codable {
    case explain
    /// Quieter than the loudness threshold.
    case quiet
    /// The top class is not one of the configured classes.
    case otherClass = "other_class"
    /// The top class's probability is under the threshold.
    case unlikely
    /// The class had its share of explanations this minute.
    case rateLimited = "rate_limited"
    /// With `gates.onsets`: the class already passed in the window before (not an onset).
    case continuing
}

/// The gates a window passes before the (expensive) explanation: loudness, class, probability,
/// onsets only (optional) and a per-class rate limit.
struct ExplanationGate: Sendable {
    var minDBFS: Double
    /// Classes worth explaining; empty means all.
    var classes: Set<String>
    var minProbability: Double
    /// Explanations per class per minute; 0 means no limit.
    var maxPerClassPerMinute: Int
    /// Explain a class only in the first window of a run of windows that pass for it (a speech
    /// onset for a voice-activity detector).
    var onsetsOnly: Bool
    private var recent: [String: [Double]] = [:]
    /// The class the previous window passed the class and probability gates for, if any.
    private var previousPassed: String?

    init(minDBFS: Double, classes: Set<String>, minProbability: Double, maxPerClassPerMinute: Int, onsetsOnly: Bool = false) {
        self.minDBFS = minDBFS
        self.classes = classes
        self.minProbability = minProbability
        self.maxPerClassPerMinute = maxPerClassPerMinute
        self.onsetsOnly = onsetsOnly
    }

    /// Decides for a window of loudness `dbfs` whose top class is `label` with `probability`,
    /// at monotonic time `now` (seconds); an `explain` decision counts against the rate limit.
    mutating func decide(dbfs: Double, label: String, probability: Double, now: Double) -> GateDecision {
        let previous = previousPassed
        previousPassed = nil
        if dbfs < minDBFS { return .quiet }
        if !classes.isEmpty && !classes.contains(label) { return .otherClass }
        if probability < minProbability { return .unlikely }
        previousPassed = label
        if onsetsOnly && previous == label { return .continuing }
        if maxPerClassPerMinute > 0 {
            let times = (recent[label] ?? []).filter { now - $0 < 60 }
            if times.count >= maxPerClassPerMinute {
                recent[label] = times
                return .rateLimited
            }
            recent[label] = times + [now]
        }
        return .explain
    }

    /// Loudness of a window in dB relative to full scale (RMS); -infinity for silence.
    static func dbfs(_ samples: [Float]) -> Double {
        let power = samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(samples.count, 1))
        return power > 0 ? 10 * log10(power) : -.infinity
    }
}
