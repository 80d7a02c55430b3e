/// A function applied to every element: the activations and unary math operators of ONNX.
public struct Elementwise: DifferentiableOperation {
    /// The scalar function and its parameters.
    public enum Function: Sendable, Equatable {
        case relu
        case leakyRelu(alpha: Float)
        case elu(alpha: Float)
        case sigmoid
        case tanh
        case softplus
        case clip(min: Float, max: Float)
        /// GELU with the exact (erf) formula.
        case gelu
        /// GELU with the tanh approximation.
        case geluTanh
        case erf
        case negate
        case squareRoot
        /// The square root of a norm: as `squareRoot`, but with gradient 0 at 0 (PyTorch's
        /// subgradient of a norm at the origin) instead of an infinity that makes NaN.
        case normRoot
        case exp
        case log
        /// `x` to a constant power.
        case power(Float)
        case absolute
        case reciprocal
        /// `gamma * (x > 0 ? x : alpha * (exp(x) - 1))`.
        case selu(alpha: Float, gamma: Float)
        /// `max(0, min(1, alpha * x + beta))`.
        case hardSigmoid(alpha: Float, beta: Float)
    }

    public let name: String
    /// The function applied.
    public let function: Function
    /// Shape of the input and the output.
    public let shape: [Int]

    /// `function` applied to a tensor of `shape`; `name` is the operator's name for messages.
    public init(_ function: Function, shape: [Int], name: String) {
        self.function = function
        self.shape = shape
        self.name = name
    }

    public var inputShapes: [[Int]] { [shape] }
    public var outputShape: [Int] { shape }
    /// Negation reads nothing back; functions whose derivative follows from their value read
    /// the output (so the input's memory can be reused); the others read the input.
    public var backwardReads: BackwardReads {
        switch function {
        case .negate: []
        case .relu, .sigmoid, .tanh, .exp, .squareRoot, .normRoot, .reciprocal: .output
        default: .inputs
        }
    }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let x = inputs[0]
        switch function {
        case .relu: map(x, output) { $0 <= 0 ? 0 : $0 }  // NaN passes, as in PyTorch
        case let .leakyRelu(alpha): map(x, output) { $0 >= 0 ? $0 : alpha * $0 }
        case let .elu(alpha): map(x, output) { $0 > 0 ? $0 : alpha * (ScalarMath.exp($0) - 1) }
        case .sigmoid: map(x, output, Self.sigmoid)
        case .tanh: map(x, output, ScalarMath.tanh)
        case .softplus: map(x, output) { max($0, 0) + ScalarMath.log1p(ScalarMath.exp(-abs($0))) }
        case let .clip(low, high): map(x, output) { min(max($0, low), high) }
        case .gelu: map(x, output) { 0.5 * $0 * (1 + ScalarMath.erf($0 * Self.inverseSquareRootOfTwo)) }
        case .geluTanh: map(x, output) { 0.5 * $0 * (1 + ScalarMath.tanh(Self.geluInner($0))) }
        case .erf: map(x, output, ScalarMath.erf)
        case .negate: map(x, output) { -$0 }
        case .squareRoot, .normRoot: map(x, output, ScalarMath.sqrt)
        case .exp: map(x, output, ScalarMath.exp)
        case .log: map(x, output, ScalarMath.log)
        case let .power(exponent):
            if exponent == 2 { map(x, output) { $0 * $0 } } else { map(x, output) { ScalarMath.pow($0, exponent) } }
        case .absolute: map(x, output) { abs($0) }
        case .reciprocal: map(x, output) { 1 / $0 }
        case let .selu(alpha, gamma): map(x, output) { gamma * ($0 > 0 ? $0 : alpha * (ScalarMath.exp($0) - 1)) }
        case let .hardSigmoid(alpha, beta): map(x, output) { max(0, min(1, alpha * $0 + beta)) }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        guard let dx = inputGradients[0] else { return }
        pullBack(outputGradient, inputs: inputs, output: output, into: dx, writing: false)
    }

    public func backwardWriting(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradient: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        pullBack(outputGradient, inputs: inputs, output: output, into: inputGradient, writing: true)
    }

    /// `dx (+)= f'(x) * g`: writes `dx` when `writing`, adds to it otherwise.
    private func pullBack(
        _ g: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>], output y: UnsafeBufferPointer<Float>,
        into dx: UnsafeMutableBufferPointer<Float>, writing: Bool
    ) {
        let x = inputs[0]
        switch function {
        case .relu: pullBack(g, y, dx, writing: writing) { $1 > 0 ? $0 : 0 }
        case let .leakyRelu(alpha): pullBack(g, x, dx, writing: writing) { $1 > 0 ? $0 : alpha * $0 }
        case let .elu(alpha): pullBack(g, x, dx, writing: writing) { $1 > 0 ? $0 : $0 * alpha * ScalarMath.exp($1) }
        case .sigmoid: pullBack(g, y, dx, writing: writing) { $0 * $1 * (1 - $1) }
        case .tanh: pullBack(g, y, dx, writing: writing) { $0 * (1 - $1 * $1) }
        case .softplus: pullBack(g, x, dx, writing: writing) { $0 * Self.sigmoid($1) }
        case let .clip(low, high): pullBack(g, x, dx, writing: writing) { $1 >= low && $1 <= high ? $0 : 0 }
        case .gelu:
            pullBack(g, x, dx, writing: writing) { g, x in
                let cdf = 0.5 * (1 + ScalarMath.erf(x * Self.inverseSquareRootOfTwo))
                return g * (cdf + x * Self.inverseSquareRootOfTwoPi * ScalarMath.exp(-0.5 * x * x))
            }
        case .geluTanh:
            pullBack(g, x, dx, writing: writing) { g, x in
                let t = ScalarMath.tanh(Self.geluInner(x))
                let inner = Self.squareRootOfTwoOverPi * (1 + 3 * Self.geluCubic * x * x)
                return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner)
            }
        case .erf: pullBack(g, x, dx, writing: writing) { $0 * Self.twoOverSquareRootOfPi * ScalarMath.exp(-$1 * $1) }
        case .negate: pullBack(g, g, dx, writing: writing) { g, _ in -g }
        case .squareRoot: pullBack(g, y, dx, writing: writing) { $0 * 0.5 / $1 }
        case .normRoot: pullBack(g, y, dx, writing: writing) { $1 > 0 ? $0 * 0.5 / $1 : 0 }
        case .exp: pullBack(g, y, dx, writing: writing) { $0 * $1 }
        case .log: pullBack(g, x, dx, writing: writing) { $0 / $1 }
        case let .power(exponent):
            pullBack(g, x, dx, writing: writing) { $0 * exponent * ScalarMath.pow($1, exponent - 1) }
        // PyTorch's subgradient: sign(0) = 0.
        case .absolute: pullBack(g, x, dx, writing: writing) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }
        case .reciprocal: pullBack(g, y, dx, writing: writing) { -$0 * $1 * $1 }
        case let .selu(alpha, gamma):
            pullBack(g, x, dx, writing: writing) { $1 > 0 ? gamma * $0 : gamma * alpha * ScalarMath.exp($1) * $0 }
        case let .hardSigmoid(alpha, beta):
            pullBack(g, x, dx, writing: writing) { g, x in
                let inner = alpha * x + beta
                return inner > 0 && inner < 1 ? alpha * g : 0
            }
        }
    }

    // MARK: - Loops and constants

    @inline(__always)
    private func map(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>, _ f: (Float) -> Float) {
        let (source, target) = (x.baseAddress!, y.baseAddress!)
        for index in 0..<y.count { target[index] = f(source[index]) }
    }

    /// `dx = df(g, v)` (when `writing`) or `dx += df(g, v)` elementwise, `v` being the input or
    /// the output.
    @inline(__always)
    private func pullBack(
        _ g: UnsafeBufferPointer<Float>, _ x: UnsafeBufferPointer<Float>, _ dx: UnsafeMutableBufferPointer<Float>,
        writing: Bool, _ df: (Float, Float) -> Float
    ) {
        let (seed, source, target) = (g.baseAddress!, x.baseAddress!, dx.baseAddress!)
        if writing {
            for index in 0..<dx.count { target[index] = df(seed[index], source[index]) }
        } else {
            for index in 0..<dx.count { target[index] += df(seed[index], source[index]) }
        }
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + ScalarMath.exp(-x)) }
        let e = ScalarMath.exp(x)
        return e / (1 + e)
    }

    @inline(__always)
    private static func geluInner(_ x: Float) -> Float { squareRootOfTwoOverPi * (x + geluCubic * x * x * x) }

    private static let inverseSquareRootOfTwo: Float = 0.70710678118654752
    private static let inverseSquareRootOfTwoPi: Float = 0.39894228040143268
    private static let squareRootOfTwoOverPi: Float = 0.79788456080286536
    private static let twoOverSquareRootOfPi: Float = 1.12837916709551257
    private static let geluCubic: Float = 0.044715
}
