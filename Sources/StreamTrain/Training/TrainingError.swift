/// Why training stopped early. Weights are never updated by a failing step, and the last
/// checkpoint on disk is the last good state.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A batch row holds NaN or ±Inf. `step` is the 1-based step that was about to run.
    case nonFiniteActivations(step: Int, row: Int, element: Int, value: Float)
    /// The loss came out NaN or ±Inf (the weights are left as they were before this step).
    case nonFiniteLoss(step: Int, mse: Double, l1: Double)
    /// The loss was finite but a gradient overflowed (the weights are left as they were).
    case nonFiniteGradients(step: Int, tensor: String)
    /// The source delivered no rows in a whole epoch.
    case emptySource(epoch: Int)
    /// The source's rows are not as wide as the SAE's input.
    case widthMismatch(sourceWidth: Int, saeWidth: Int)
    /// The source or its saved position is unusable.
    case badSource(reason: String)
    /// A checkpoint does not fit this trainer (different config or shapes).
    case checkpointMismatch(detail: String)

    /// The message with the step or source and a hint.
    public var description: String {
        switch self {
        case let .nonFiniteActivations(step, row, element, value):
            return "step \(step): batch row \(row) element \(element) is \(value). "
                + "Hint: the activations contain NaN/Inf; check the store or filter those rows."
        case let .nonFiniteLoss(step, mse, l1):
            return "step \(step): loss is not finite (mse \(mse), l1 \(l1)); the step was not applied. "
                + "Hint: lower the learning rate or enable normalizeActivations; resume from the last checkpoint."
        case let .nonFiniteGradients(step, tensor):
            return "step \(step): the gradient of \(tensor) is not finite; the step was not applied. "
                + "Hint: the activations are too large for Float; enable normalizeActivations or lower the learning rate."
        case let .emptySource(epoch):
            return "epoch \(epoch): the data source returned no rows. Hint: check the store and the row filter."
        case let .widthMismatch(sourceWidth, saeWidth):
            return "the data has rows of \(sourceWidth) floats but the SAE expects d_in = \(saeWidth). "
                + "Hint: pick the hook the SAE was made for, or set dIn to \(sourceWidth)."
        case let .badSource(reason):
            return "data source: \(reason)"
        case let .checkpointMismatch(detail):
            return "checkpoint does not match this run: \(detail). Hint: resume with the run's own config."
        }
    }
}
