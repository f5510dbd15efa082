/// Next-token loss of the model with the SAE spliced in, against the clean model and two
/// ablations of the same rows (docs/EVALUATION.md, "Downstream").
public struct DownstreamMetrics: Codable, Sendable, Equatable {
    /// The model (directory or hub id) as given.
    public var model: String
    /// Windows run through the model.
    public var windowCount: Int
    /// Predicted tokens counted: positions t < T−1 whose own row is measured (a BOS or
    /// low-position row is neither spliced nor counted, in every one of the four runs).
    public var predictedTokenCount: Int
    /// Rows whose activation was replaced — the same rows in the SAE, zero and mean runs.
    public var splicedRowCount: Int
    /// Mean next-token cross-entropy of the clean model (nats/token).
    public var cleanLoss: Double
    /// With those rows replaced by the SAE's reconstruction (nats/token).
    public var saeLoss: Double
    /// With those rows set to zero (nats/token).
    public var zeroAblationLoss: Double
    /// With those rows set to the mean of the evaluated rows' activations (nats/token).
    public var meanAblationLoss: Double
    /// ΔCE = saeLoss − cleanLoss (nats/token): what the splice costs the model.
    public var lossIncrease: Double
    /// (zero − sae) / (zero − clean): SAELens' `ce_loss_score`.
    public var lossRecovered: Double
    /// (mean − sae) / (mean − clean): the same against the mean-ablation baseline.
    public var lossRecoveredAgainstMean: Double
    /// Mean over the counted positions of KL(p_clean ‖ p_SAE) of the next-token distribution (nats/token).
    public var klDivergence: Double
    /// The same with the rows zero-ablated, and mean-ablated (nats/token).
    public var zeroAblationKLDivergence: Double
    /// KL(p_clean ‖ p_mean-ablated) over the same positions (nats/token).
    public var meanAblationKLDivergence: Double
}
