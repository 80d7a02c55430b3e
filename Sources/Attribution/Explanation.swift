/// The result of explaining one input.
public struct Explanation: Sendable {
    /// The explained class.
    public let target: Int
    /// The model's logits at the input as the representation rebuilds it, `W^-1(W(x))`.
    public let logits: [Float]
    /// The input's coefficients `z = W(x)`.
    public let coefficients: [Float]
    /// The signed attribution of every coefficient.
    public let attribution: [Float]
    /// Gradient evaluations (model backward passes) spent.
    public let gradientEvaluations: Int
    /// Extra forward-only evaluations spent.
    public let forwardEvaluations: Int
    /// How well the path integral converged (Integrated Gradients only).
    public let integration: IntegrationReport?
}

/// Completeness of an Integrated Gradients result (METHOD.md section 3).
public struct IntegrationReport: Sendable, Equatable {
    /// Gradient evaluations along the path (quadrature nodes).
    public let steps: Int
    /// `sum(a) - (f_c(x) - f_c(x0))`.
    public let gap: Double
    /// `gap / (f_c(x) - f_c(x0))`.
    public let relativeGap: Double
    /// `f_c(x) - f_c(x0)`, what the attributions should add up to.
    public let expectedTotal: Double
    /// Whether an adaptive run reached its tolerance (always true for a fixed number of steps).
    public let converged: Bool
}
