import NDArray

/// A classifier that can explain itself through gradients: what `Attribution` needs from a model.
///
/// Batches are batch-first: `[N] + inputShape`. Examples never influence each other, so the
/// results for one example do not depend on what else is in its batch.
public protocol DifferentiableClassifier: Sendable {
    /// Shape of one example (the model input without its batch axis).
    var inputShape: [Int] { get }
    /// Number of classes (logits per example).
    var classCount: Int { get }
    /// Logits `[N, classCount]` of a batch `[N] + inputShape`.
    func logits(_ batch: NDArray<Float>) throws -> NDArray<Float>
    /// Logits of a batch and, per example `n`, the gradient of `logits[n, classes[n]]` with respect
    /// to `batch[n]` (shape of `batch`).
    func inputGradient(_ batch: NDArray<Float>, classes: [Int]) throws -> (logits: NDArray<Float>, gradient: NDArray<Float>)
    /// The mean over `points` of the gradient of logit `target` with respect to the input, with at
    /// most `maxBatch` points in flight; independent of `maxBatch`. (SmoothGrad and Integrated
    /// Gradients need only this mean; the default makes one `inputGradient` call per batch.)
    func meanInputGradient(at points: GradientPoints, target: Int, maxBatch: Int) throws -> [Float]
}

/// A classifier whose intermediate tensors can be read and differentiated by name (GradCAM).
public protocol InspectableClassifier: DifferentiableClassifier {
    /// Names of the tensors `evaluate` can return activations and gradients for.
    var tensorNames: [String] { get }
    /// Runs `batch` forward and, when `request` carries a cotangent, backward; returns what the
    /// request asks for.
    func evaluate(_ batch: NDArray<Float>, _ request: EvaluationRequest) throws -> Evaluation
}

/// What to compute in one `evaluate` call besides the output.
public struct EvaluationRequest: Sendable {
    /// The vector to pull back from the output.
    public enum Cotangent: Sendable {
        /// One-hot on `classes[n]` for example `n` (gradient of that class's logit).
        case classes([Int])
        /// An explicit cotangent with the output's shape `[N, ...]`.
        case tensor(NDArray<Float>)
    }

    /// The cotangent to back-propagate; `nil` for a forward pass only.
    public var cotangent: Cotangent?
    /// Named tensors whose forward values to return.
    public var activations: [String]
    /// Named tensors whose gradients to return (needs a cotangent).
    public var gradients: [String]
    /// The values of the program's held inputs (a recurrent model's state), whole, by name; the
    /// same for every example.
    public var heldInputs: [String: NDArray<Float>]

    /// A request; the defaults ask for the output only.
    public init(
        cotangent: Cotangent? = nil, activations: [String] = [], gradients: [String] = [],
        heldInputs: [String: NDArray<Float>] = [:]
    ) {
        self.cotangent = cotangent
        self.activations = activations
        self.gradients = gradients
        self.heldInputs = heldInputs
    }
}

/// The results of one `evaluate` call; every tensor is batch-first.
public struct Evaluation: Sendable {
    /// The model output `[N, ...]` (the logits of a classifier).
    public var output: NDArray<Float>
    /// Gradient of the cotangent-weighted output with respect to the input, when a cotangent was given.
    public var inputGradient: NDArray<Float>?
    /// Requested activations by name.
    public var activations: [String: NDArray<Float>]
    /// Requested gradients by name.
    public var gradients: [String: NDArray<Float>]
}
