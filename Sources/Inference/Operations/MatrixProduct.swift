/// Batched matrix products through `cblas_sgemm`: ONNX `MatMul` (NumPy semantics, batch axes
/// broadcast, 1-D operands promoted) and the product part of `Gemm` (`alpha * op(A) * op(B)`).
public struct MatrixProduct: DifferentiableOperation {
    public let name: String
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    private let transposeA: Bool
    private let transposeB: Bool
    private let alpha: Float
    private let (m, n, k): (Int, Int, Int)
    /// Element offsets of A, B and the output for each matrix of the (broadcast) batch.
    private let batches: [(a: Int, b: Int, output: Int)]

    /// NumPy `matmul` of operands with shapes `a` and `b`.
    public init(matmul a: [Int], _ b: [Int]) throws(InferenceError) {
        guard !a.isEmpty, !b.isEmpty else {
            throw .invalidShapes(operation: "MatMul", shapes: [a, b], expected: "operands of rank 1 or more")
        }
        let a2 = a.count == 1 ? [1] + a : a
        let b2 = b.count == 1 ? b + [1] : b
        guard let batch = Broadcasting.shape(Array(a2.dropLast(2)), Array(b2.dropLast(2))), a2.last! == b2[b2.count - 2] else {
            throw .invalidShapes(
                operation: "MatMul", shapes: [a, b],
                expected: "[..., M, K] and [..., K, N] with broadcastable batch axes")
        }
        var output = batch + [a2[a2.count - 2], b2.last!]
        if a.count == 1 { output.remove(at: output.count - 2) }
        if b.count == 1 { output.removeLast() }
        try self.init(
            name: "MatMul", shapes: [a, b], output: output, batch: batch, a: a2, b: b2,
            transposeA: false, transposeB: false, alpha: 1)
    }

    /// `alpha * op(A) * op(B)` of two matrices, `op` transposing when asked (ONNX `Gemm` without C).
    public init(gemm a: [Int], _ b: [Int], transposeA: Bool, transposeB: Bool, alpha: Float) throws(InferenceError) {
        guard a.count == 2, b.count == 2, a[transposeA ? 0 : 1] == b[transposeB ? 1 : 0] else {
            throw .invalidShapes(
                operation: "Gemm", shapes: [a, b],
                expected: "two matrices whose inner sizes agree (transA = \(transposeA), transB = \(transposeB))")
        }
        try self.init(
            name: "Gemm", shapes: [a, b], output: [a[transposeA ? 1 : 0], b[transposeB ? 0 : 1]], batch: [],
            a: a, b: b, transposeA: transposeA, transposeB: transposeB, alpha: alpha)
    }

    private init(
        name: String, shapes: [[Int]], output: [Int], batch: [Int], a: [Int], b: [Int],
        transposeA: Bool, transposeB: Bool, alpha: Float
    ) throws(InferenceError) {
        self.name = name
        inputShapes = shapes
        outputShape = output
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.alpha = alpha
        let (rowsA, columnsA) = (a[a.count - 2], a[a.count - 1])
        let (rowsB, columnsB) = (b[b.count - 2], b[b.count - 1])
        m = transposeA ? columnsA : rowsA
        k = transposeA ? rowsA : columnsA
        n = transposeB ? rowsB : columnsB
        let (matrixA, matrixB, matrixOutput) = (rowsA * columnsA, rowsB * columnsB, m * n)
        // For each batch index (row-major), the matching matrix of each operand.
        let offsetsA = try IndexMaps.broadcast(Array(a.dropLast(2)), to: batch).sources.map(Int.init)
        let offsetsB = try IndexMaps.broadcast(Array(b.dropLast(2)), to: batch).sources.map(Int.init)
        batches = offsetsA.indices.map { (offsetsA[$0] * matrixA, offsetsB[$0] * matrixB, $0 * matrixOutput) }
    }

    public var backwardReads: BackwardReads { .inputs }

    public func forward(
        _ inputs: [UnsafeBufferPointer<Float>], into output: UnsafeMutableBufferPointer<Float>,
        context: OperationContext
    ) {
        let (a, b, y) = (inputs[0].baseAddress!, inputs[1].baseAddress!, output.baseAddress!)
        let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
        for batch in batches {
            matrixMultiply(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a + batch.a, lda: lda, b + batch.b, ldb: ldb, beta: 0, y + batch.output, ldc: n)
        }
    }

    public func backward(
        _ outputGradient: UnsafeBufferPointer<Float>, inputs: [UnsafeBufferPointer<Float>],
        output: UnsafeBufferPointer<Float>, into inputGradients: [UnsafeMutableBufferPointer<Float>?],
        context: OperationContext
    ) {
        let (a, b, dy) = (inputs[0].baseAddress!, inputs[1].baseAddress!, outputGradient.baseAddress!)
        let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
        for batch in batches {
            if let da = inputGradients[0]?.baseAddress.map({ $0 + batch.a }) {
                if transposeA {  // dA = alpha * op(B) * dYᵀ  (k x m)
                    matrixMultiply(
                        transposeA: transposeB, transposeB: true, m: k, n: m, k: n, alpha: alpha,
                        b + batch.b, lda: ldb, dy + batch.output, ldb: n, beta: 1, da, ldc: m)
                } else {  // dA = alpha * dY * op(B)ᵀ  (m x k)
                    matrixMultiply(
                        transposeA: false, transposeB: !transposeB, m: m, n: k, k: n, alpha: alpha,
                        dy + batch.output, lda: n, b + batch.b, ldb: ldb, beta: 1, da, ldc: k)
                }
            }
            if let db = inputGradients[1]?.baseAddress.map({ $0 + batch.b }) {
                if transposeB {  // dB = alpha * dYᵀ * op(A)  (n x k)
                    matrixMultiply(
                        transposeA: true, transposeB: transposeA, m: n, n: k, k: m, alpha: alpha,
                        dy + batch.output, lda: n, a + batch.a, ldb: lda, beta: 1, db, ldc: k)
                } else {  // dB = alpha * op(A)ᵀ * dY  (k x n)
                    matrixMultiply(
                        transposeA: !transposeA, transposeB: false, m: k, n: n, k: m, alpha: alpha,
                        a + batch.a, lda: lda, dy + batch.output, ldb: n, beta: 1, db, ldc: n)
                }
            }
        }
    }
}
