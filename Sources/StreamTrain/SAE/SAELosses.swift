/// The loss terms of one batch, as defined in docs/SAE.md.
public struct SAELosses: Equatable, Sendable {
    /// Mean over rows and elements of (x̂ − x)².
    public var mse: Double
    /// Mean over rows of Σ_j |f_j| (× ‖W_dec[j]‖ for the standard SAE).
    public var l1: Double
    /// mse + λ · l1.
    public var total: Double
    /// Σ over rows of the number of latents with f > 0 (divide by rows for L0).
    public var activeLatentCount: Int
    /// The AuxK term included in `total` (0 without AuxK).
    public var auxiliary: Double = 0
    /// Matryoshka: Σ over the inner levels of their reconstruction terms Σ_c (x̂_m − x)² / B,
    /// included in `total` (0 for the other architectures).
    public var innerReconstruction: Double = 0

    /// Losses with no AuxK or matryoshka terms.
    public init(mse: Double, l1: Double, total: Double, activeLatentCount: Int) {
        self.mse = mse
        self.l1 = l1
        self.total = total
        self.activeLatentCount = activeLatentCount
    }
}
