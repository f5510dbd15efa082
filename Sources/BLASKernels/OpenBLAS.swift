import CBLAS

/// The module's only door to OpenBLAS: what it loaded, and the four calls the self-check and
/// `doctor` exercise. (Extract, StreamTrain and Features still keep their own sgemm wrappers.)
public enum OpenBLAS {
    /// The kernel set OpenBLAS is running ("Prescott", "Haswell", "SkylakeX", …), fixed when the
    /// library loaded: from OPENBLAS_CORETYPE when set, else from its own reading of the CPU.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Build configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64".
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// The configuration with the running core's name taken out: the same on every run of one
    /// library build, whichever kernels it was told to use (the cache key needs that).
    public static var buildIdentity: String {
        configuration.split(separator: " ").filter { $0.lowercased() != coreName.lowercased() }.joined(separator: " ")
    }

    /// Worker threads OpenBLAS uses (OPENBLAS_NUM_THREADS, or one per core).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// c(M,N) = alpha · op(a) · op(b) + beta · c, row-major; op(a) is (M,K), op(b) is (K,N).
    static func sgemm(_ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                      _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// y(M or N) = alpha · op(a) · x + beta · y with a (M,N) row-major.
    static func sgemv(_ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, m: Int, n: Int, transpose: Bool,
                      _ x: UnsafePointer<Float>, alpha: Float, beta: Float) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a, blasint(n),
                    x, 1, beta, y, 1)
    }

    /// y += alpha · x over `count` floats.
    static func saxpy(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, alpha: Float) {
        cblas_saxpy(blasint(count), alpha, x, 1, y, 1)
    }

    /// Σ x·y over `count` floats.
    static func sdot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        cblas_sdot(blasint(count), x, 1, y, 1)
    }
}
