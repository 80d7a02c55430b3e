import Inference

/// Activations, unary math, and the broadcasting binary operators.
enum ElementwiseOperators {
    static let handlers: [String: OperatorHandler] = [
        "Relu": unary { _ in .relu },
        "LeakyRelu": unary { c in .leakyRelu(alpha: try c.float("alpha", default: 0.01)) },
        "Elu": unary { c in .elu(alpha: try c.float("alpha", default: 1)) },
        "Sigmoid": unary { _ in .sigmoid },
        "Tanh": unary { _ in .tanh },
        "Softplus": unary { _ in .softplus },
        "Erf": unary { _ in .erf },
        // The root of a sum of squares is a norm (an STFT magnitude): its gradient at 0 is the
        // norm's subgradient 0, as ReduceL2's, instead of an infinity that makes NaN.
        "Sqrt": unary { c in c.isSumOfSquares(c.node.inputs[0]) ? .normRoot : .squareRoot },
        "Exp": unary { _ in .exp },
        "Log": unary { _ in .log },
        "Abs": unary { _ in .absolute },
        "Reciprocal": unary { _ in .reciprocal },
        "Selu": unary { c in
            .selu(alpha: try c.float("alpha", default: 1.673_263_192_176_818_8), gamma: try c.float("gamma", default: 1.050_701_022_148_132_3))
        },
        "HardSigmoid": unary { c in .hardSigmoid(alpha: try c.float("alpha", default: 0.2), beta: try c.float("beta", default: 0.5)) },
        "Gelu": unary { c in
            switch try c.string("approximate", default: "none") {
            case "none": return .gelu
            case "tanh": return .geluTanh
            case let other: throw c.failure("approximate '\(other)' is not 'none' or 'tanh'")
            }
        },
        "Clip": unary { c in
            .clip(min: try c.scalar(1, role: "minimum") ?? -.infinity, max: try c.scalar(2, role: "maximum") ?? .infinity)
        },
        "Neg": neg,
        "Pow": power,
        "Add": { c in try binary(&c, .add, integer: { $0 &+ $1 }, real: +) },
        "Sub": { c in try binary(&c, .subtract, integer: { $0 &- $1 }, real: -) },
        "Mul": { c in try binary(&c, .multiply, integer: { $0 &* $1 }, real: *) },
        "Div": { c in try binary(&c, .divide, integer: { $1 == 0 ? nil : $0 / $1 }, real: /) },
    ]

    /// A handler applying the function `parameters` reads from the node.
    private static func unary(_ parameters: @escaping @Sendable (Compilation) throws -> Elementwise.Function) -> OperatorHandler {
        { c in
            let input = try c.tensor(0)
            let function = try parameters(c)
            let name = c.node.opType
            return [try c.apply(Elementwise(function, shape: input.shape, name: name), to: [input])]
        }
    }

    private static func neg(_ c: inout Compilation) throws -> [CompiledValue] {
        if case .inputDependent = try c.value(0) { return [try c.value(0)] }
        if case let .constant(tensor) = try c.value(0), tensor.integers != nil {
            return [.constant(tensor.mapped(integer: { 0 &- $0 }, real: { -$0 }))]
        }
        let input = try c.tensor(0)
        return [try c.apply(Elementwise(.negate, shape: input.shape, name: "Neg"), to: [input])]
    }

    /// `Pow` with a constant scalar exponent is a unary power; anything else broadcasts.
    private static func power(_ c: inout Compilation) throws -> [CompiledValue] {
        if try c.isConstant(1), let exponent = try c.constant(1, role: "exponent"), exponent.count == 1 {
            let base = try c.tensor(0)
            return [try c.apply(Elementwise(.power(Float(exponent.doubles[0])), shape: base.shape, name: "Pow"), to: [base])]
        }
        let (base, exponent) = (try c.tensor(0), try c.tensor(1))
        return [try c.apply(try Arithmetic(.power, base.shape, exponent.shape), to: [base, exponent])]
    }

    /// A broadcasting binary operator; integer constants (shape arithmetic) fold exactly.
    private static func binary(
        _ c: inout Compilation, _ function: Arithmetic.Function,
        integer: (Int64, Int64) -> Int64?, real: (Double, Double) -> Double
    ) throws -> [CompiledValue] {
        if let dataType = try c.inputDependentType() {
            guard let shape = Broadcasting.shape(try c.shape(0), try c.shape(1)) else {
                throw c.failure("shapes \(try c.shape(0)) and \(try c.shape(1)) do not broadcast")
            }
            return [.inputDependent(shape: shape, dataType: dataType)]
        }
        if case let .constant(a) = try c.value(0), case let .constant(b) = try c.value(1), a.integers != nil || b.integers != nil {
            guard let result = ConstantTensor.combine(a, b, integer: integer, real: real) else {
                throw c.failure("cannot combine constants of shapes \(a.shape) and \(b.shape) (incompatible shapes or division by zero)")
            }
            return [.constant(result)]
        }
        let (a, b) = (try c.tensor(0), try c.tensor(1))
        return [try c.apply(try Arithmetic(function, a.shape, b.shape), to: [a, b])]
    }
}
