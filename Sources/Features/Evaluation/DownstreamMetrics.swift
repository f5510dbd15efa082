/// The model's next-token loss with the hook left alone, replaced by the SAE's reconstruction,
/// and zero-ablated, over the complete windows of the evaluated rows.
public struct DownstreamMetrics: Codable, Sendable, Equatable {
    /// The model (directory or hub id) as given.
    public var model: String
    /// Windows run through the model.
    public var windowCount: Int
    /// Predicted tokens: Σ over windows of (tokens − 1).
    public var predictedTokenCount: Int
    /// Rows whose activation was replaced by the reconstruction (special tokens and low
    /// positions keep theirs).
    public var splicedRowCount: Int
    /// Mean next-token cross-entropy of the clean model (nats/token).
    public var cleanLoss: Double
    /// With the hook replaced by the SAE's reconstruction (nats/token).
    public var saeLoss: Double
    /// With the hook set to zero (nats/token).
    public var zeroAblationLoss: Double
    /// (zero − sae) / (zero − clean): SAELens' `ce_loss_score`.
    public var lossRecovered: Double
}
