import NDArray

/// An engine with values for its held inputs (a recurrent model's incoming state): a classifier
/// of the explained input alone, the held values fixed for every call.
public struct HeldInputClassifier: InspectableClassifier {
    /// The engine that runs the model.
    public let engine: InferenceEngine
    /// The value of every held input, by name.
    public let heldInputs: [String: NDArray<Float>]

    /// `engine` with `heldInputs` fixed; every held input of the engine needs a value of its shape.
    public init(engine: InferenceEngine, heldInputs: [String: NDArray<Float>]) {
        self.engine = engine
        self.heldInputs = heldInputs
    }

    public var inputShape: [Int] { engine.inputShape }
    public var classCount: Int { engine.classCount }
    public var tensorNames: [String] { engine.tensorNames }

    public func evaluate(_ batch: NDArray<Float>, _ request: EvaluationRequest) throws -> Evaluation {
        var request = request
        request.heldInputs.merge(heldInputs) { given, _ in given }
        return try engine.evaluate(batch, request)
    }

    public func logits(_ batch: NDArray<Float>) throws -> NDArray<Float> {
        try evaluate(batch, EvaluationRequest()).output
    }

    public func inputGradient(_ batch: NDArray<Float>, classes: [Int]) throws -> (logits: NDArray<Float>, gradient: NDArray<Float>) {
        let result = try evaluate(batch, EvaluationRequest(cotangent: .classes(classes)))
        return (result.output, result.inputGradient!)
    }
}
