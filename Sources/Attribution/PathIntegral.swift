import Inference

/// The integral of the gradient of the target logit along the straight path
/// `x(t) = start + t * (end - start)`, `t` in [0, 1], by the midpoint rule on intervals that the
/// adaptive mode refines where the rule is least accurate.
///
/// The accuracy of each interval is known exactly: the integral of `dx/dt . grad f` over
/// `[a, b]` is `f(x(b)) - f(x(a))`, two forward passes. Its error with the midpoint rule,
/// `e = (b - a) h(mid) - (f(b) - f(a))`, sums over the intervals to the completeness gap. An
/// interval is refined by splitting it in three: its midpoint is the midpoint of the middle third,
/// so its gradient is reused and each split costs two gradients and two forward passes.
struct PathIntegral {
    private struct Interval {
        var start: Double
        var width: Double
        /// Gradient at the midpoint.
        var gradient: [Float]
        /// `(end - start) . gradient`: the rate of change of the logit along the path.
        var slope: Double
        /// `f(x(start))` and `f(x(start + width))`.
        var logitAtStart: Double
        var logitAtEnd: Double

        var error: Double { width * slope - (logitAtEnd - logitAtStart) }
    }

    let batcher: GradientBatcher
    let target: Int
    let start: [Float]
    let end: [Float]
    private let direction: [Float]

    init(batcher: GradientBatcher, target: Int, start: [Float], end: [Float]) {
        self.batcher = batcher
        self.target = target
        self.start = start
        self.end = end
        direction = zip(end, start).map { $0 - $1 }
    }

    struct Result {
        /// `integral of grad f dt` (the mean gradient along the path).
        let meanGradient: [Float]
        let gradientEvaluations: Int
        let forwardEvaluations: Int
        /// Whether the adaptive rule reached its tolerance (always true for fixed steps).
        let converged: Bool
    }

    private func point(_ t: Double) -> [Float] {
        GradientPoints.segment(start: start, end: end, positions: [Float(t)]).point(0)
    }

    /// The midpoint rule with `steps` equal intervals.
    func fixed(steps: Int) throws -> Result {
        let midpoints = (0..<steps).map { Float((Double($0) + 0.5) / Double(steps)) }
        let mean = try batcher.meanGradient(at: .segment(start: start, end: end, positions: midpoints), target: target)
        return Result(
            meanGradient: mean, gradientEvaluations: steps,
            forwardEvaluations: 0, converged: true)
    }

    /// The adaptive midpoint rule: start with `initial` equal intervals, then split the intervals
    /// with the largest errors (at most `maxBatch / 2` per round, so each round is one batch)
    /// until `|gap| <= tolerance * |f(end) - f(start)|` or `maxSteps` gradients are spent.
    func adaptive(
        tolerance: Double, maxSteps: Int, initial: Int = 8, logitAtStart: Double,
        logitAtEnd: Double
    ) throws -> Result {
        let total = logitAtEnd - logitAtStart
        let first = max(1, min(initial, maxSteps))
        let boundaries = try batcher.logits(count: first - 1) { point(Double($0 + 1) / Double(first)) }
            .map { Double($0[target]) }
        let edges = [logitAtStart] + boundaries + [logitAtEnd]
        var intervals: [Interval] = []
        try batcher.gradients(count: first, target: target, input: { point((Double($0) + 0.5) / Double(first)) }) { k, gradient in
            intervals.append(
                Interval(
                    start: Double(k) / Double(first), width: 1 / Double(first), gradient: Array(gradient),
                    slope: dot(direction, gradient), logitAtStart: edges[k], logitAtEnd: edges[k + 1]))
        }
        var gradients = first, forwards = first - 1
        func gap() -> Double { intervals.reduce(0) { $0 + $1.error } }
        let scale = max(abs(total), 1e-6)
        while abs(gap()) > tolerance * scale && gradients + 2 <= maxSteps {
            let budget = max(1, min(batcher.maxBatch / 2, (maxSteps - gradients) / 2))
            let chosen = intervals.indices.sorted { abs(intervals[$0].error) > abs(intervals[$1].error) }.prefix(budget)
            // New boundaries at 1/3 and 2/3 of each chosen interval, new midpoints at 1/6 and 5/6.
            let cuts = chosen.flatMap { index -> [Double] in
                let i = intervals[index]
                return [i.start + i.width / 3, i.start + 2 * i.width / 3]
            }
            let cutLogits = try batcher.logits(count: cuts.count) { point(cuts[$0]) }.map { Double($0[target]) }
            let midpoints = chosen.flatMap { index -> [Double] in
                let i = intervals[index]
                return [i.start + i.width / 6, i.start + 5 * i.width / 6]
            }
            var replacements: [Int: [Interval]] = [:]
            var fresh: [[Float]] = []
            try batcher.gradients(count: midpoints.count, target: target, input: { point(midpoints[$0]) }) { _, gradient in
                fresh.append(Array(gradient))
            }
            for (n, index) in chosen.enumerated() {
                let old = intervals[index], third = old.width / 3
                let (left, right) = (cutLogits[2 * n], cutLogits[2 * n + 1])
                replacements[index] = [
                    Interval(
                        start: old.start, width: third, gradient: fresh[2 * n], slope: dot(direction, fresh[2 * n][...]),
                        logitAtStart: old.logitAtStart, logitAtEnd: left),
                    Interval(
                        start: old.start + third, width: third, gradient: old.gradient, slope: old.slope,
                        logitAtStart: left, logitAtEnd: right),
                    Interval(
                        start: old.start + 2 * third, width: third, gradient: fresh[2 * n + 1],
                        slope: dot(direction, fresh[2 * n + 1][...]), logitAtStart: right, logitAtEnd: old.logitAtEnd),
                ]
            }
            intervals = intervals.indices.flatMap { replacements[$0] ?? [intervals[$0]] }
            gradients += midpoints.count
            forwards += cuts.count
        }
        var sum = [Double](repeating: 0, count: start.count)
        for interval in intervals {
            for (i, g) in interval.gradient.enumerated() { sum[i] += interval.width * Double(g) }
        }
        return Result(
            meanGradient: sum.map { Float($0) }, gradientEvaluations: gradients, forwardEvaluations: forwards,
            converged: abs(gap()) <= tolerance * scale)
    }
}

/// Inner product in Float64.
func dot(_ a: [Float], _ b: ArraySlice<Float>) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}
