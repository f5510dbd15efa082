/// What an evaluation reports while it runs (the CLI draws it).
public enum EvaluationProgress: Sendable {
    /// Rows read and encoded so far, of the total.
    case rowsEncoded(done: Int, total: Int)
    /// Model windows run so far (clean, SAE and zero-ablated), of the total.
    case windowsRun(done: Int, total: Int)
}
