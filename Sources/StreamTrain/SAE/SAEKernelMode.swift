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
    /// Measured with `saestore-bench sparse --sweep` (docs/SAE.md): on 2 cores the sparse
    /// step overtakes the dense one between 10 % and 20 % density at d_in 768 / d_sae 6144
    /// and at d_in 128 / d_sae 1024; 0.1 keeps auto on the faster side at both.
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
