/// Which kernels compute an SAE training step after the (always dense) encoder product.
/// docs/SAE.md, "Sparse kernels", gives the algorithm, the threshold and its measurement.
public enum SAEKernelMode: String, Codable, Sendable, CaseIterable {
    /// Per step: sparse when the batch's measured density (fraction of (row, latent) pairs with
    /// f > 0) is at most `autoDensityThreshold`, dense otherwise.
    case auto
    /// Always the sgemm path (the reference).
    case dense
    /// Always the sparse path, whatever the density.
    case sparse

    /// Density at or below which `auto` takes the sparse path (fraction of B·d_sae).
    /// Measured with `saestore-bench sparse --sweep` (benchmarks/sparse, docs/SAE.md) on 2
    /// cores, batch 512: the dense step is faster from 10–15 % density (standard, d_in 768,
    /// d_sae 6144), 15–20 % (tied, topk) and 20–30 % (tied, d_in 128, d_sae 1024); at 10 % the
    /// sparse step takes 0.66–0.83 of the dense one's time in all four, so 0.1 keeps `auto` on
    /// the faster side of every crossover.
    public static let autoDensityThreshold = 0.1

    /// Whether a batch of this density takes the sparse path.
    func usesSparse(density: Double) -> Bool {
        switch self {
        case .dense: return false
        case .sparse: return true
        case .auto: return density <= SAEKernelMode.autoDensityThreshold
        }
    }
}
