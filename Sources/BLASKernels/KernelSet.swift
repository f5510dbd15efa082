/// OpenBLAS's x86-64 kernel sets by the instruction-set level they need, and the ones saestore
/// may switch to, best first.
public enum KernelSet {
    /// The level a core name's kernels need; unknown names count as the lowest (SSE3).
    /// Names are OpenBLAS's (`openblas_get_corename`, driver/others/dynamic.c), compared case-blind.
    public static func level(ofCore name: String) -> KernelLevel {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "excavator": return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return .avx
        default: return .sse
        }
    }

    /// Kernel sets to try on a CPU of `level`, best first. SkylakeX is OpenBLAS's generic AVX-512
    /// set (Cooperlake and SapphireRapids add bf16 kernels saestore does not call); Haswell its
    /// generic AVX2+FMA set, which it also runs on AMD Zen.
    public static func candidates(for level: KernelLevel) -> [String] {
        switch level {
        case .avx512: return ["SkylakeX", "Haswell"]
        case .avx2: return ["Haswell"]
        case .avx: return ["Sandybridge"]
        case .sse: return []
        }
    }
}
