import CBLAS

/// The module's one door to OpenBLAS (row-major sgemm); callers hold the pointers inside
/// `withUnsafe…` closures.
enum BLAS {
    /// c = alpha · op(a) · op(b) + beta · c
    // c: (M,N), op(a): (M,K), op(b): (K,N); a stored (M,K) or, transposed, (K,M); b likewise.
    static func gemm(transposeA: Bool, transposeB: Bool, M: Int, N: Int, K: Int,
                     alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     beta: Float, c: UnsafeMutablePointer<Float>) {
        precondition(M > 0 && N > 0 && K > 0, "gemm with an empty dimension M \(M) N \(N) K \(K)")
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(M), blasint(N), blasint(K), alpha, a, blasint(transposeA ? M : K), b,
                    blasint(transposeB ? K : N), beta, c, blasint(N))
    }
}
