import Inference
import NDArray

/// GradCAM on a named feature map (METHOD.md section 3): channel weights are the gradient of the
/// target logit averaged over positions, the map is `ReLU(sum_k w_k A_k)`, resized linearly to
/// the input's size. An input-domain baseline for `wam eval`.
public struct GradCAM: Sendable {
    public let model: any InspectableClassifier
    /// The feature map's tensor name, batch-first `[1, channels, positions...]`.
    public let layer: String

    public init(model: any InspectableClassifier, layer: String) throws(AttributionError) {
        guard model.tensorNames.contains(layer) else {
            throw .invalidParameter(name: "layer", value: layer, expected: "a tensor of the model (see `wam model info`)")
        }
        self.model = model
        self.layer = layer
    }

    /// The map for `signal` and class `target`, the size of the signal.
    public func attribution(_ signal: [Float], target: Int) throws -> [Float] {
        let batch = NDArray(shape: [1] + model.inputShape, storage: signal)
        let result = try model.evaluate(batch, EvaluationRequest(cotangent: .classes([target]), activations: [layer], gradients: [layer]))
        guard let activation = result.activations[layer], let gradient = result.gradients[layer], activation.rank >= 3 else {
            throw AttributionError.invalidParameter(name: "layer", value: layer, expected: "a feature map [1, channels, positions...]")
        }
        let channels = activation.shape[1], positions = activation.count / channels
        var map = [Float](repeating: 0, count: positions)
        for k in 0..<channels {
            let slice = (k * positions)..<((k + 1) * positions)
            let weight = gradient.storage[slice].reduce(0, +) / Float(positions)
            for (p, a) in activation.storage[slice].enumerated() { map[p] += weight * a }
        }
        let spatial = model.inputShape.first == 1 && model.inputShape.count > 1 ? Array(model.inputShape.dropFirst()) : model.inputShape
        return LinearResize.resize(map.map { max($0, 0) }, from: Array(activation.shape.dropFirst(2)), to: spatial)
    }
}

/// Separable linear interpolation between grids (align-corners), for maps of any rank.
enum LinearResize {
    static func resize(_ values: [Float], from source: [Int], to target: [Int]) -> [Float] {
        precondition(source.count == target.count && values.count == source.reduce(1, *))
        var current = values, shape = source
        for axis in source.indices where shape[axis] != target[axis] {
            let (outer, extent, inner) = NDArrayGeometry.split(shape, around: axis)
            let size = target[axis]
            var next = [Float](repeating: 0, count: outer * size * inner)
            for o in 0..<outer {
                for t in 0..<size {
                    let position = size == 1 ? 0 : Double(t) * Double(extent - 1) / Double(size - 1)
                    let low = Int(position), high = min(low + 1, extent - 1), fraction = Float(position - Double(low))
                    for i in 0..<inner {
                        let a = current[(o * extent + low) * inner + i], b = current[(o * extent + high) * inner + i]
                        next[(o * size + t) * inner + i] = a + (b - a) * fraction
                    }
                }
            }
            current = next
            shape[axis] = size
        }
        return current
    }
}
