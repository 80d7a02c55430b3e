import Inference
import NDArray

/// `MatMul` and `Gemm`.
enum MatrixOperators {
    static let handlers: [String: OperatorHandler] = ["MatMul": matmul, "Gemm": gemm]

    private static func matmul(_ c: inout Compilation) throws -> [CompiledValue] {
        let (a, b) = (try c.tensor(0), try c.tensor(1))
        return [try c.apply(try MatrixProduct(matmul: a.shape, b.shape), to: [a, b])]
    }

    /// `alpha * op(A) * op(B) + beta * C`, with C broadcast to the product.
    private static func gemm(_ c: inout Compilation) throws -> [CompiledValue] {
        let (a, b) = (try c.tensor(0), try c.tensor(1))
        let alpha = try c.float("alpha", default: 1), beta = try c.float("beta", default: 1)
        let transposeA = try c.int("transA", default: 0) != 0, transposeB = try c.int("transB", default: 0) != 0
        let product = try c.run(
            try MatrixProduct(
                gemm: a.shape, b.shape, transposeA: transposeA, transposeB: transposeB,
                alpha: alpha), on: [a, b])
        guard c.hasInput(2), beta != 0 else { return [.runtime(product)] }
        var addend = try c.tensor(2)
        if beta != 1 {
            let scale = c.builder.constant(NDArray(shape: [], storage: [beta]))
            addend = try c.run(try Arithmetic(.multiply, addend.shape, []), on: [addend, scale])
        }
        return [try c.apply(try Arithmetic(.add, product.shape, addend.shape), to: [product, addend])]
    }
}
