import CBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The module's only door to OpenBLAS: row-major sgemm, the thread-count knob and the
/// kernel-family selection.
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

    /// Runs `selectWidestKernels` once per process, the first time anyone asks.
    static let kernelSelection: BLASKernelSelection = selectWidestKernels()

    /// OpenBLAS 0.3.21 (Debian 12's) predates AMD Zen 4/5 and gives them its AVX2 "Haswell"
    /// kernels; on the Zen 5 these machines have, its SkylakeX (AVX-512) sgemm measured 5×
    /// faster (≈470 vs ≈85 GFLOP/s on 2 threads at gpt2's shapes). Its DYNAMIC_ARCH build exports
    /// the selector, so when the user has not chosen (OPENBLAS_CORETYPE unset), the CPU has the
    /// AVX-512 subsets SkylakeX kernels use, and OpenBLAS settled on an AVX2 family, re-run the
    /// selection forcing SkylakeX. The environment variable stays set so child processes start
    /// with the same choice. Must not race another thread's BLAS call (done once, early).
    private static func selectWidestKernels() -> BLASKernelSelection {
        let before = coreName
        func keep(_ reason: String) -> BLASKernelSelection {
            BLASKernelSelection(coreName: before, originalCoreName: before, reason: reason)
        }
        if let chosen = getenv("OPENBLAS_CORETYPE") {
            return keep("OPENBLAS_CORETYPE=\(String(cString: chosen)) set by the user")
        }
        guard ["haswell", "zen"].contains(before.lowercased()) else {
            return keep("OpenBLAS chose \(before) itself")
        }
        guard cpuHasAVX512ForSkylakeXKernels() else { return keep("CPU lacks AVX-512 F/CD/BW/DQ/VL") }
        guard let quit = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_quit"),
              let initialise = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_init") else {
            return keep("OpenBLAS is not a DYNAMIC_ARCH build")
        }
        typealias VoidFunction = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0)
        unsafeBitCast(quit, to: VoidFunction.self)()
        unsafeBitCast(initialise, to: VoidFunction.self)()
        return BLASKernelSelection(coreName: coreName, originalCoreName: before,
                                   reason: "AVX-512 CPU given AVX2 kernels by OpenBLAS; switched")
    }

    private static func cpuHasAVX512ForSkylakeXKernels() -> Bool {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            return false
        }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }
}
