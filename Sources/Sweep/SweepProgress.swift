import Evaluation
import StreamTrain

/// What a sweep reports while it runs. Training events come from the members' threads, one at
/// a time (the sweep serialises them).
public enum SweepProgress: Sendable {
    /// A member's trainer reported `event`.
    case training(member: String, event: TrainingProgress)
    /// A member finished training (rows trained on, seconds).
    case trained(member: String, tokenCount: Int, seconds: Double)
    /// A member's evaluation is under way.
    case evaluating(member: String, event: EvaluationProgress)
}
