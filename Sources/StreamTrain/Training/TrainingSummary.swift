/// Why and where `train` stopped.
public struct TrainingSummary: Equatable, Sendable {
    /// Why the loop ended.
    public enum StopReason: String, Sendable, Equatable {
        /// Every epoch of `SAEConfig.epochs` was trained.
        case epochsCompleted
        /// `SAETrainerOptions.maxSteps` steps were taken.
        case stepBudgetReached
        /// `SAETrainerOptions.maxTokens` rows were trained on.
        case tokenBudgetReached
    }
    /// Why the loop ended.
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
