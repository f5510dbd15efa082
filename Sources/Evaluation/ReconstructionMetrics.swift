/// How well an SAE reconstructs the evaluated rows (docs/EVALUATION.md), in the activation
/// space of the store (after undoing any input normalisation).
public struct ReconstructionMetrics: Codable, Sendable, Equatable {
    /// Rows measured (after leaving out special tokens and low positions).
    public var rowCount: Int
    /// Σ (x̂ − x)² / (rows · d_in): mean over rows and elements, as training's `mse_loss`.
    public var mse: Double
    /// 1 − Σ (x − x̂)² / Σ (x − x̄)², x̄ the per-dimension mean over all measured rows
    /// (training's `explained_variance`, SAELens' `explained_variance`).
    public var explainedVariance: Double
    /// Mean over rows of the number of latents with f > 0.
    public var l0: Double
    /// Mean over rows of Σ_j f_j (the activations' L1 norm, unweighted).
    public var l1: Double
    /// Latents that fired on none of the rows.
    public var deadFeatureCount: Int
    /// Latents that fired on more than `denseThreshold` of the rows.
    public var denseFeatureCount: Int
    /// The dense threshold used (fraction of rows).
    public var denseThreshold: Double
    /// Latent count (d_sae).
    public var latentCount: Int
    /// Per latent: rows on which it fired, divided by `rowCount`.
    public var firingFrequency: [Double]
    /// The normalisation scale s applied before encoding (1 when the SAE takes raw rows).
    public var activationScale: Double
}
