import CBLAS

/// What OpenBLAS loaded: its kernel set and build. Its products are `BLAS`'s.
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

    /// Worker threads OpenBLAS uses (OPENBLAS_NUM_THREADS, or one per core, unless
    /// `BLAS.threadCount` was set).
    public static var threadCount: Int { BLAS.threadCount }
}
