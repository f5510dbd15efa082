/// How activation rows are rescaled before they reach the SAE (SAELens' `normalize_activations`).
public enum ActivationNormalization: String, Codable, Sendable, CaseIterable {
    /// Rows are used as they are.
    case none
    /// Every row is multiplied by one constant s = sqrt(d_in) / mean‖x‖, estimated once from the
    /// first rows of the training data, so that E‖s·x‖ = sqrt(d_in) (Anthropic's April 2024
    /// update, as SAELens does it). The export folds s into the weights.
    case expectedAverageOnlyIn = "expected_average_only_in"
}
