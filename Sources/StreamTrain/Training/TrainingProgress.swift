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

/// Why and where `train` stopped.
public struct TrainingSummary: Equatable, Sendable {
    /// Why the loop ended.
    public enum StopReason: String, Sendable, Equatable {
        case epochsCompleted, stepBudgetReached, tokenBudgetReached
    }
    public var stopReason: StopReason
    /// Steps taken in total (including before a resume).
    public var stepCount: Int
    /// Rows trained on in total (tokens).
    public var tokenCount: Int
    /// Epochs completed.
    public var epochsCompleted: Int
    /// The last metrics record, if any was made.
    public var lastMetrics: TrainingMetrics?
}
