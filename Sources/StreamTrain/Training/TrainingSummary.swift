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
