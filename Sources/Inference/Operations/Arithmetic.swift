/// ONNX `Add`, `Sub`, `Mul`, `Div` and `Pow` with NumPy broadcasting.
public struct Arithmetic: DifferentiableOperation {
    /// The binary function.
    public enum Function: String, Sendable, CaseIterable {
        case add = "Add", subtract = "Sub", multiply = "Mul", divide = "Div", power = "Pow"
    }

    /// The function applied.
    public let function: Function
    public var name: String { function.rawValue }
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    private let layout: BroadcastLayout

    /// `function(a, b)` for operands of shapes `a` and `b`, broadcast against each other.
    public init(_ function: Function, _ a: [Int], _ b: [Int]) throws(InferenceError) {
        guard let output = Broadcasting.shape(a, b) else {
            throw .invalidShapes(operation: function.rawValue, shapes: [a, b], expected: "shapes that broadcast (NumPy rules)")
        }
        self.function = function
        inputShapes = [a, b]
        outputShape = output
        layout = BroadcastLayout(a, b, output: output)
    }

    public var backwardReads: BackwardReads {
        switch function {
        case .add, .subtract: []
        case .multiply, .divide: .inputs
        case .power: [.inputs, .output]
        }
    }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let (a, b) = (inputs[0], inputs[1])
        switch function {
        case .add: combine(a, b, output, +)
        case .subtract: combine(a, b, output, -)
        case .multiply: combine(a, b, output, *)
        case .divide: combine(a, b, output, /)
        case .power: combine(a, b, output) { $1 == 2 ? $0 * $0 : ScalarMath.pow($0, $1) }
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        let (a, b, y, g) = (inputs[0], inputs[1], output, outputGradient)
        let (da, db) = (inputGradients[0], inputGradients[1])
        switch function {
        case .add, .subtract:
            if let da { accumulate(g, into: da, operand: 0, negated: false) }
            if let db { accumulate(g, into: db, operand: 1, negated: function == .subtract) }
        case .multiply:
            if let da { pullBack(g, a, b, y, into: da, operand: 0) { g, _, b, _ in g * b } }
            if let db { pullBack(g, a, b, y, into: db, operand: 1) { g, a, _, _ in g * a } }
        case .divide:
            if let da { pullBack(g, a, b, y, into: da, operand: 0) { g, _, b, _ in g / b } }
            if let db { pullBack(g, a, b, y, into: db, operand: 1) { g, a, b, _ in -g * a / (b * b) } }
        case .power:
            if let da { pullBack(g, a, b, y, into: da, operand: 0) { g, a, b, _ in g * b * ScalarMath.pow(a, b - 1) } }
            if let db { pullBack(g, a, b, y, into: db, operand: 1) { g, a, _, y in a > 0 ? g * y * ScalarMath.log(a) : 0 } }
        }
    }

    @inline(__always)
    private func combine(
        _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>,
        _ f: (Float, Float) -> Float
    ) {
        let (a, b, y) = (a.baseAddress!, b.baseAddress!, y.baseAddress!)
        layout.forEachRun { output, offsetA, offsetB, count, strideA, strideB in
            let (x, z, out) = (a + offsetA, b + offsetB, y + output)
            switch (strideA, strideB) {
            case (1, 1): for j in 0..<count { out[j] = f(x[j], z[j]) }
            case (1, 0): let second = z[0]; for j in 0..<count { out[j] = f(x[j], second) }
            case (0, 1): let first = x[0]; for j in 0..<count { out[j] = f(first, z[j]) }
            default: out.update(repeating: f(x[0], z[0]), count: count)
            }
        }
    }

    /// Adds `g` (or `-g`) into the gradient of operand `operand`, summing over its broadcast axes.
    private func accumulate(
        _ g: UnsafeBufferPointer<Float>, into gradient: UnsafeMutableBufferPointer<Float>, operand: Int,
        negated: Bool
    ) {
        let sign: Float = negated ? -1 : 1
        let (g, gradient) = (g.baseAddress!, gradient.baseAddress!)
        layout.forEachRun { output, offsetA, offsetB, count, strideA, strideB in
            let (offset, step) = operand == 0 ? (offsetA, strideA) : (offsetB, strideB)
            let (source, target) = (g + output, gradient + offset)
            if step == 1 {
                for j in 0..<count { target[j] += sign * source[j] }
            } else {
                var sum: Float = 0
                for j in 0..<count { sum += source[j] }
                target[0] += sign * sum
            }
        }
    }

    /// Adds `df(g, a, b, y)` into the gradient of operand `operand`, summing over its broadcast axes.
    /// Operands the backward pass does not read (empty buffers) stand in as zeros.
    @inline(__always)
    private func pullBack(
        _ g: UnsafeBufferPointer<Float>, _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
        _ y: UnsafeBufferPointer<Float>, into gradient: UnsafeMutableBufferPointer<Float>, operand: Int,
        _ df: (Float, Float, Float, Float) -> Float
    ) {
        let zero: Float = 0
        withUnsafePointer(to: zero) { zero in
            let (g, target) = (g.baseAddress!, gradient.baseAddress!)
            let (a, b, y) = (a.baseAddress ?? zero, b.baseAddress ?? zero, y.baseAddress ?? zero)
            let (readsA, readsB, readsY) = (a != zero, b != zero, y != zero)
            layout.forEachRun { output, offsetA, offsetB, count, strideA, strideB in
                let step = operand == 0 ? strideA : strideB
                let into = target + (operand == 0 ? offsetA : offsetB)
                let (x, z, out, seed) = (readsA ? a + offsetA : a, readsB ? b + offsetB : b, readsY ? y + output : y, g + output)
                let (sx, sz, sy) = (readsA ? strideA : 0, readsB ? strideB : 0, readsY ? 1 : 0)
                for j in 0..<count {
                    into[j &* step] += df(seed[j], x[j &* sx], z[j &* sz], out[j &* sy])
                }
            }
        }
    }
}
