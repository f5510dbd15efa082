import CBLAS

/// The module's only door to OpenBLAS: row-major sgemm and the process-wide settings.
enum BLAS {
    /// c(M,N) = alpha * op(a) · op(b) + beta * c, all row-major.
    /// op(a) is (M,K): `a` is (M,K) with row stride lda, or (K,M) when `transposeA`.
    /// op(b) is (K,N): `b` is (K,N) with row stride ldb, or (N,K) when `transposeB`.
    static func sgemm(_ c: UnsafeMutablePointer<Float>, ldc: Int,
                      _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                      _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                      m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) {
        precondition(m >= 0 && n >= 0 && k >= 0 && m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max),
                     "sgemm dimensions out of range: m \(m) n \(n) k \(k)")
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// OpenBLAS's worker count is process-wide: every later sgemm in any module uses it.
    static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS is using (e.g. "Haswell", "SkylakeX").
    static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
