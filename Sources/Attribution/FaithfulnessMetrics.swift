import Foundation
import Inference
import NDArray

/// The metrics of `wam eval` (METHOD.md section 5): how much the model's decision depends on the
/// features an explanation ranks first. Features are the representation's coefficients; removed
/// features are set to the baseline 0 and the signal is rebuilt.
public struct FaithfulnessMetrics: Sendable {
    public let model: any DifferentiableClassifier
    public let representation: any SignalRepresentation
    public let maxBatch: Int

    /// How the model's outputs become the probabilities the curves follow.
    public let scale: OutputScale

    public init(
        model: any DifferentiableClassifier, representation: any SignalRepresentation, maxBatch: Int = 16, scale: OutputScale = .logits
    ) {
        self.scale = scale
        self.model = model
        self.representation = representation
        self.maxBatch = maxBatch
    }

    /// A probability curve and its area.
    public struct Curve: Sendable, Equatable, Codable {
        /// `p_k`, k = 0...K.
        public let probabilities: [Double]
        /// Trapezoid area over [0, 1].
        public let area: Double
    }

    /// Insertion (keep the top `k/K`, the rest at 0) and deletion (remove the top `k/K`) curves
    /// of the target's softmax probability, k = 0...`steps`, the features ranked in `order`.
    public func insertionDeletion(
        coefficients: [Float], attribution: [Float], target: Int,
        steps: Int = 64, order: RankingOrder = .magnitude
    ) throws -> (insertion: Curve, deletion: Curve) {
        let ranking = Ranking(attribution, order: order)
        let counts = (0...steps).map { ranking.count(fraction: Double($0) / Double(steps)) }
        let masks = counts.map { ranking.keepMask(top: $0) } + counts.map { ranking.keepMask(top: $0).map { 1 - $0 } }
        let probabilities = try self.probabilities(coefficients: coefficients, masks: masks, target: target)
        func curve(_ p: ArraySlice<Double>) -> Curve {
            let values = Array(p)
            let area = zip(values, values.dropFirst()).reduce(0.0) { $0 + ($1.0 + $1.1) / 2 } / Double(steps)
            return Curve(probabilities: values, area: area)
        }
        return (curve(probabilities[0...steps]), curve(probabilities[(steps + 1)...]))
    }

    /// mu-fidelity: the Pearson correlation, over `subsets` seeded random subsets of `fraction`
    /// of the features, between the attribution they carry and the drop in the target's
    /// probability when they are removed.
    public func muFidelity(
        coefficients: [Float], attribution: [Float], target: Int, subsets: Int = 128,
        fraction: Double = 0.2, seed: UInt64 = 0
    ) throws -> Double {
        let n = coefficients.count, size = Int((fraction * Double(n)).rounded())
        var generator = SeededNormal(seed: seed)
        var sums: [Double] = [], masks: [[Float]] = [[Float](repeating: 1, count: n)]
        for _ in 0..<subsets {
            var indices = Array(0..<n)
            for i in 0..<size {
                let j = i + Int(generator.nextUniform() * Double(n - i))
                indices.swapAt(i, j)
            }
            var mask = [Float](repeating: 1, count: n)
            var sum = 0.0
            for index in indices.prefix(size) {
                mask[index] = 0
                sum += Double(attribution[index])
            }
            sums.append(sum)
            masks.append(mask)
        }
        let probabilities = try self.probabilities(coefficients: coefficients, masks: masks, target: target)
        let drops = probabilities.dropFirst().map { probabilities[0] - $0 }
        return Correlation.pearson(sums, drops)
    }

    /// The logits of the signal rebuilt with the top `fraction` (in `order`) kept (`keep`) or removed.
    public func logits(
        coefficients: [Float], attribution: [Float], fraction: Double, keep: Bool, order: RankingOrder = .magnitude
    ) throws -> [Float] {
        let ranking = Ranking(attribution, order: order)
        var mask = ranking.keepMask(top: ranking.count(fraction: fraction))
        if !keep { mask = mask.map { 1 - $0 } }
        return try GradientBatcher(model: model, maxBatch: maxBatch)
            .logits(count: 1) { _ in representation.decode(zip(coefficients, mask).map { $0 * $1 }) }[0]
    }

    private func probabilities(coefficients: [Float], masks: [[Float]], target: Int) throws -> [Double] {
        try GradientBatcher(model: model, maxBatch: maxBatch)
            .logits(count: masks.count) { representation.decode(zip(coefficients, masks[$0]).map { $0 * $1 }) }
            .map { scale.probabilities($0)[target] }
    }
}

/// What a classifier's outputs are, and so how they become probabilities.
public enum OutputScale: String, Sendable, Equatable {
    /// Logits: a softmax over the classes; a single output is a binary logit (logistic).
    case logits
    /// Probabilities already (the graph ends in Sigmoid or Softmax): taken as they are.
    case probabilities

    /// The probabilities of `outputs`, in Float64.
    public func probabilities(_ outputs: [Float]) -> [Double] {
        switch self {
        case .probabilities: outputs.map(Double.init)
        case .logits where outputs.count == 1: [1 / (1 + exp(-Double(outputs[0])))]
        case .logits: softmax(outputs)
        }
    }
}

/// Softmax in Float64.
public func softmax(_ logits: [Float]) -> [Double] {
    let peak = Double(logits.max() ?? 0)
    let exponentials = logits.map { exp(Double($0) - peak) }
    let sum = exponentials.reduce(0, +)
    return exponentials.map { $0 / sum }
}
