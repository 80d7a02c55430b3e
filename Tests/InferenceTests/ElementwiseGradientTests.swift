import Foundation
import Inference
import NDArray
import NumericTestSupport
import Testing

/// Every elementwise function: the forward pass against its formula in Float64, and the
/// vector-Jacobian product against central finite differences of that formula.
struct ElementwiseGradientTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let function: Elementwise.Function
        /// The function in Float64, written from its definition (ONNX operator specification).
        let reference: @Sendable (Double) -> Double
        /// Inputs are drawn from this range (positive where the function needs it).
        let range: ClosedRange<Double>
        var testDescription: String { "\(function)" }
    }

    static let selu = (alpha: 1.673_263_192_176_818_8, gamma: 1.050_701_022_148_132_3)

    static let cases: [Case] = [
        Case(function: .relu, reference: { max($0, 0) }, range: -3...3),
        Case(function: .leakyRelu(alpha: 0.1), reference: { $0 >= 0 ? $0 : 0.1 * $0 }, range: -3...3),
        Case(function: .elu(alpha: 0.7), reference: { $0 > 0 ? $0 : 0.7 * (exp($0) - 1) }, range: -3...3),
        Case(function: .sigmoid, reference: { 1 / (1 + exp(-$0)) }, range: -6...6),
        Case(function: .tanh, reference: { Foundation.tanh($0) }, range: -3...3),
        Case(function: .softplus, reference: { Foundation.log(1 + exp($0)) }, range: -5...5),
        Case(function: .erf, reference: { Foundation.erf($0) }, range: -2...2),
        Case(function: .squareRoot, reference: { $0.squareRoot() }, range: 0.2...4),
        Case(function: .normRoot, reference: { $0.squareRoot() }, range: 0.2...4),
        Case(function: .exp, reference: { Foundation.exp($0) }, range: -2...2),
        Case(function: .log, reference: { Foundation.log($0) }, range: 0.2...4),
        Case(function: .power(3), reference: { pow($0, 3) }, range: -2...2),
        Case(function: .absolute, reference: { abs($0) }, range: -3...3),
        Case(function: .reciprocal, reference: { 1 / $0 }, range: 0.3...3),
        Case(
            function: .selu(alpha: Float(selu.alpha), gamma: Float(selu.gamma)),
            reference: { selu.gamma * ($0 > 0 ? $0 : selu.alpha * (exp($0) - 1)) }, range: -3...3),
        Case(function: .hardSigmoid(alpha: 0.2, beta: 0.5), reference: { max(0, min(1, 0.2 * $0 + 0.5)) }, range: -4...4),
    ]

    @Test("forward matches the Float64 formula; backward matches central differences away from kinks", arguments: cases)
    func gradient(_ c: Case) {
        var random = SplitMix64(seed: 77)
        let h = 1e-4
        // Inputs away from the kinks (0 for relu-like functions and abs, ±2.5 for hard sigmoid).
        let values: [Float] = (0..<64).map { _ in
            while true {
                let u = Double(random.nextSigned() + 1) / 2
                let x = c.range.lowerBound + u * (c.range.upperBound - c.range.lowerBound)
                if abs(x) > 0.05, abs(abs(x) - 2.5) > 0.05 { return Float(x) }
            }
        }
        let cotangent = random.array([1, 64])
        let operation = Elementwise(c.function, shape: [1, 64], name: "f")
        let x = NDArray(shape: [1, 64], storage: values)
        let forward = runForward(operation, [x]).storage
        let gradient = runBackward(operation, [x], cotangent: cotangent).storage
        for i in 0..<64 {
            let xi = Double(values[i])
            let expected = c.reference(xi)
            #expect(abs(Double(forward[i]) - expected) <= 1e-5 * max(1, abs(expected)), "f(\(xi))")
            let slope = (c.reference(xi + h) - c.reference(xi - h)) / (2 * h)
            let wanted = slope * Double(cotangent.storage[i])
            #expect(abs(Double(gradient[i]) - wanted) <= 1e-3 * max(1, abs(wanted)), "f'(\(xi))")
        }
    }

    @Test("abs at 0 has gradient 0 (PyTorch's subgradient); hard sigmoid is flat where it saturates")
    func kinks() {
        let x = NDArray<Float>(shape: [1, 3], storage: [0, 10, -10])
        let ones = NDArray<Float>(shape: [1, 3], storage: [1, 1, 1])
        #expect(runBackward(Elementwise(.absolute, shape: [1, 3], name: "Abs"), [x], cotangent: ones).storage == [0, 1, -1])
        let hard = Elementwise(.hardSigmoid(alpha: 0.2, beta: 0.5), shape: [1, 3], name: "HardSigmoid")
        #expect(runForward(hard, [x]).storage == [0.5, 1, 0])
        #expect(runBackward(hard, [x], cotangent: ones).storage == [0.2, 0, 0])
    }
}

/// `ReduceMin`'s gradient goes to the first minimum of each group, like `ReduceMax`'s to the first maximum.
struct MinimumReductionTests {
    @Test func gradientGoesToTheFirstMinimum() throws {
        let x = NDArray<Float>(shape: [2, 4], storage: [3, -1, 2, -1, 0.5, 0.25, -2, 1])
        let minimum = try Reduction(.min, shape: [2, 4], axes: [1], keepDimensions: true, name: "ReduceMin")
        #expect(runForward(minimum, [x]).storage == [-1, -2])
        let gradient = runBackward(minimum, [x], cotangent: NDArray(shape: [2, 1], storage: [5, 7])).storage
        #expect(gradient == [0, 5, 0, 0, 0, 0, 7, 0])
    }
}
