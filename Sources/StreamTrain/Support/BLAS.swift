import CBLAS

/// The module's one door to OpenBLAS: row-major single-precision products with shapes spelled
/// as (rows, columns) of the result. Callers hold the pointers inside `withUnsafe…` closures.
enum BLAS {
    /// c = alpha · op(a) · op(b) + beta · c
    // c: (M,N), op(a): (M,K), op(b): (K,N); a stored (M,K) or, transposed, (K,M); b likewise.
    static func gemm(transposeA: Bool, transposeB: Bool, M: Int, N: Int, K: Int,
                     alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     beta: Float, c: UnsafeMutablePointer<Float>) {
        precondition(M > 0 && N > 0 && K > 0, "gemm with an empty dimension M \(M) N \(N) K \(K)")
        let lda = transposeA ? M : K
        let ldb = transposeB ? K : N
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(M), blasint(N), blasint(K), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(N))
    }

    /// y += alpha · x over n floats (OpenBLAS's level-1 kernel: wider vectors and FMA where the
    /// CPU has them; single-threaded at the lengths the SAE kernels use, so safe to call from
    /// several threads at once).
    // y: (n), x: (n)
    static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(blasint(n), alpha, x, 1, y, 1)
    }

    /// Σ x[i]·y[i] over n floats (OpenBLAS's level-1 kernel; its summation order is fixed for a
    /// given n and CPU kernel, whatever the calling thread).
    static func dot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        cblas_sdot(blasint(n), x, 1, y, 1)
    }

    /// y = alpha · a · x + beta · y
    // y: (M), a: (M,N), x: (N)
    static func gemv(M: Int, N: Int, alpha: Float, a: UnsafePointer<Float>,
                     x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(M), blasint(N), alpha, a, blasint(N),
                    x, 1, beta, y, 1)
    }
}
