/// One metrics record, averaged over the steps since the previous record (docs/SAE.md).
public struct TrainingMetrics: Equatable, Sendable {
    /// Optimiser steps taken so far (this record's step).
    public var step: Int
    /// Training rows seen so far (tokens).
    public var tokenCount: Int
    /// 0-based epoch the last step belonged to.
    public var epoch: Int
    /// Seconds since 1970 when the record was made.
    public var wallTime: Double
    /// Rows in the window this record averages (tokens).
    public var windowTokenCount: Int
    /// mse + λ·l1 over the window.
    public var loss: Double
    /// Mean of (x̂ − x)² over the window's rows and elements.
    public var mse: Double
    /// Mean over the window's rows of Σ_j |f_j| (·‖W_dec[j]‖ for standard).
    public var l1: Double
    /// Mean number of latents with f > 0 per row.
    public var l0: Double
    /// 1 − Σ(x − x̂)² / Σ(x − x̄)², x̄ the per-dimension mean over the window's rows.
    public var explainedVariance: Double
    /// Fraction of latents that fired on none of the last `deadFeatureWindowTokens` rows.
    public var deadFeatureFraction: Double
    /// Window rows divided by the wall time the window took (tokens per second).
    public var tokensPerSecond: Double
    /// Adam's learning rate at this record's step (the schedule's value, `--lr` without one).
    public var learningRate: Double
    /// Mean over the window's rows of the auxiliary loss (the gated SAE's reconstruction from
    /// its gate path, AuxK's dead-latent term); 0 for the architectures without one, and then
    /// not among `scalars`.
    public var auxiliaryLoss: Double = 0
    /// Matryoshka: mean over the window's rows of the inner levels' reconstruction terms,
    /// Σ_m Σ_c (x̂_m − x)² (in the training loss, not in `loss`); 0 otherwise, and then not among
    /// `scalars`.
    public var innerReconstructionLoss: Double = 0

    /// (tag, value) pairs under SAELens' W&B names, for TensorBoard and metrics.jsonl.
    public var scalars: [(tag: String, value: Double)] {
        [("losses/overall_loss", loss), ("losses/mse_loss", mse), ("losses/l1_loss", l1),
         ("metrics/l0", l0), ("metrics/explained_variance", explainedVariance),
         ("sparsity/dead_features_fraction", deadFeatureFraction),
         ("performance/tokens_per_second", tokensPerSecond),
         ("details/n_training_tokens", Double(tokenCount)), ("details/epoch", Double(epoch)),
         ("details/current_learning_rate", learningRate)]
            + (auxiliaryLoss != 0 ? [("losses/auxiliary_reconstruction_loss", auxiliaryLoss)] : [])
            + (innerReconstructionLoss != 0 ? [("losses/inner_mse_loss", innerReconstructionLoss)] : [])
    }
}
