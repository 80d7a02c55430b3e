import CBLAS

/// Row-major `cblas_sgemm`: `C = alpha * op(A) * op(B) + beta * C`, with `op(A)` of `m x k`
/// and `op(B)` of `k x n`.
@inline(__always)
func matrixMultiply(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
    beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        if beta != 1 {
            for row in 0..<m { for column in 0..<n { c[row * ldc + column] *= beta } }
        }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}
