import Foundation

/// What a trainer reports while it runs; the CLI turns these into progress bars and messages.
public enum TrainingProgress: Sendable {
    /// The activation scale was estimated from the first rows.
    case normalizationEstimated(scale: Float, rowCount: Int)
    /// One optimiser step finished (cheap; for progress bars).
    case stepFinished(step: Int, tokenCount: Int, epoch: Int, loss: Double)
    /// A metrics record was made (and handed to every logger).
    case metrics(TrainingMetrics)
    /// An epoch ended.
    case epochFinished(epoch: Int, step: Int)
    /// A checkpoint was written.
    case checkpointSaved(step: Int, directory: URL)
}
