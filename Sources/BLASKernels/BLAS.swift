import CBLAS

/// saestore's one door to OpenBLAS's products (every module's sgemm, sgemv, saxpy and sdot go
/// through here), outputs first as in llm.c: the array written comes first, then what is read,
/// then the shape. All row-major single precision; callers hold the pointers inside
/// `withUnsafe…` closures. The plain references these are tested against live beside each
/// fast path (DenseKernelsReference, the Llama/GPT-2 loops) and in `KernelSelfCheck`.
///
/// The functions are `@inlinable` so that the sparse kernels' many short saxpy/sdot calls cost
/// no more than calling OpenBLAS directly.
public enum BLAS {
    /// c(m,n) = alpha · op(a) · op(b) + beta · c.
    /// op(a) is (m,k): `a` is (m,k) with row stride `lda`, or (k,m) when `transposeA`.
    /// op(b) is (k,n): `b` is (k,n) with row stride `ldb`, or (n,k) when `transposeB`.
    /// An empty result (m or n 0) writes nothing; k 0 gives c = beta · c.
    @inlinable
    public static func sgemm(_ c: UnsafeMutablePointer<Float>, ldc: Int,
                             _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                             _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                             m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) {
        precondition(m >= 0 && n >= 0 && k >= 0 && m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max),
                     "sgemm dimensions out of range: m \(m) n \(n) k \(k)")
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// sgemm on packed operands (row strides equal to the stored widths), the common case:
    /// c(m,n) = alpha · op(a) · op(b) + beta · c with `a` stored (m,k) or, transposed, (k,m), and
    /// `b` stored (k,n) or, transposed, (n,k).
    @inlinable
    public static func sgemm(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, transposeA: Bool = false,
                             _ b: UnsafePointer<Float>, transposeB: Bool = false,
                             m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) {
        sgemm(c, ldc: n, a, lda: transposeA ? m : k, transposeA: transposeA,
              b, ldb: transposeB ? k : n, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, beta: beta)
    }

    /// y = alpha · op(a) · x + beta · y, with `a` stored (m,n) row-major: y is (m) and x (n), or,
    /// when `transpose`, y is (n) and x (m).
    @inlinable
    public static func sgemv(_ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, m: Int, n: Int,
                             transpose: Bool = false, _ x: UnsafePointer<Float>, alpha: Float = 1, beta: Float = 0) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a, blasint(n),
                    x, 1, beta, y, 1)
    }

    /// y += alpha · x over `count` floats (OpenBLAS's level-1 kernel: wider vectors and FMA where
    /// the CPU has them; single-threaded at the lengths saestore uses, so safe to call from
    /// several threads at once).
    @inlinable
    public static func saxpy(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, alpha: Float) {
        cblas_saxpy(blasint(count), alpha, x, 1, y, 1)
    }

    /// Σ x[i]·y[i] over `count` floats (OpenBLAS's level-1 kernel; its summation order is fixed
    /// for a given count and kernel set, whatever the calling thread).
    @inlinable
    public static func sdot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        cblas_sdot(blasint(count), x, 1, y, 1)
    }

    /// OpenBLAS's worker-thread count. Process-wide: every later product in any module uses it,
    /// which is why it lives here and nowhere else (the CLI sets it from `--threads`, an MPI rank
    /// from its share of the cores, a sweep for its members).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
