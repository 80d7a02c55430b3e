import Inference
import NDArray

/// Carries a stateful model's state from window to window (silero-vad's `state` -> `stateN`):
/// each window runs with the state the previous one left, from the initial state on. For a
/// model without state it only runs the windows.
public struct StateCarrier {
    public let classifier: Classifier
    /// The state the next window starts from, by input name (empty for a model without state).
    public private(set) var state: [String: NDArray<Float>]

    public init(classifier: Classifier) {
        self.classifier = classifier
        state = classifier.initialState
    }

    /// Whether the model carries state at all.
    public var isStateful: Bool { !classifier.bindings.state.isEmpty }

    /// Back to the initial state (a new stream, or a gap in one).
    public mutating func reset() {
        state = classifier.initialState
    }

    /// Gives `window` the current state (to be held fixed while it is explained) and moves the
    /// state on past it; a window of NaN or infinite samples resets it instead. Nothing for a
    /// model without state.
    public mutating func enter(_ window: inout InputWindow) throws {
        guard isStateful else { return }
        window.state = state
        if window.samples.allSatisfy(\.isFinite) { _ = try advance(window.samples) } else { reset() }
    }

    /// Runs one window (one example's samples) with the current state; returns the model's
    /// outputs (and, for `gradientOf`, the gradient of that output with respect to the window,
    /// the state held fixed) and moves the state on to the values the window left (back to the
    /// initial state when those are not finite).
    public mutating func advance(_ samples: [Float], gradientOf target: Int? = nil) throws -> (outputs: [Float], gradient: [Float]?) {
        let batch = NDArray(shape: [1] + classifier.inputShape, storage: samples)
        let outputs = classifier.bindings.state
        let result = try classifier.engine.evaluate(
            batch,
            EvaluationRequest(cotangent: target.map { .classes([$0]) }, activations: outputs.values.sorted(), heldInputs: state))
        for (input, output) in outputs {
            // Returned as one row: [1] + the state's own shape.
            state[input] = NDArray(shape: state[input]!.shape, storage: result.activations[output]!.storage)
        }
        // A state gone NaN or infinite would poison every later window: start again instead.
        if state.values.contains(where: { !$0.storage.allSatisfy(\.isFinite) }) { reset() }
        return (result.output.storage, result.inputGradient?.storage)
    }
}
