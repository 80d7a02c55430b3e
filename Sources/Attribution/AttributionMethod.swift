/// A gradient-based attribution method, computed in the coordinates of a `SignalRepresentation`
/// (METHOD.md section 3). With the wavelet transform these are WAM, WAM_SG and WAM_IG; with the
/// identity, saliency, SmoothGrad and Integrated Gradients.
public enum AttributionMethod: Sendable, Equatable {
    /// `g(z)`: the gradient of the target logit with respect to the coefficients.
    case gradient
    /// `mean_i g(W(x + d_i))`, `d_i ~ N(0, s^2)`, `s = spread * (max x - min x)`.
    case smoothgrad(SmoothGradOptions)
    /// `(z - z0) * integral of g along the straight path from z0 = 0 to z`.
    case intgrad(IntegratedGradientsOptions)

    /// The method's name in the CLI and the JSON (`gradient`, `smoothgrad`, `intgrad`).
    public var name: String {
        switch self {
        case .gradient: "gradient"
        case .smoothgrad: "smoothgrad"
        case .intgrad: "intgrad"
        }
    }
}

/// SmoothGrad's sampling.
public struct SmoothGradOptions: Sendable, Equatable {
    /// Number of noisy copies `n`.
    public var samples: Int
    /// Noise standard deviation as a fraction of the signal's range.
    public var spread: Double
    /// Seed of the noise; the same seed gives the same result.
    public var seed: UInt64

    public init(samples: Int = 25, spread: Double = 0.1, seed: UInt64 = 0) {
        self.samples = samples
        self.spread = spread
        self.seed = seed
    }
}

/// Integrated Gradients' quadrature of the path integral.
public struct IntegratedGradientsOptions: Sendable, Equatable {
    /// How many gradient evaluations the path integral gets.
    public enum Steps: Sendable, Equatable {
        /// The midpoint rule with `m` equal steps, `a_k = (k - 0.5) / m`.
        case fixed(Int)
        /// Adaptive midpoint rule: refine the path where it is least accurate until the
        /// completeness gap is under `tolerance` (relative) or `maxSteps` gradients are spent.
        case auto(tolerance: Double, maxSteps: Int)
    }

    public var steps: Steps

    public init(steps: Steps = .fixed(32)) {
        self.steps = steps
    }
}
