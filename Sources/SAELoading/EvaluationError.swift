/// Why an evaluation or a sweep could not run, each naming what did not fit and how to fix it.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    /// --sae is neither a run directory (with sae/) nor an SAELens SAE directory.
    case notAnSAE(path: String)
    /// No hook was given and neither run.json nor cfg.json names one.
    case unknownHook(sae: String)
    /// The hook is not a column of the store.
    case hookNotInStore(store: String, hook: String, available: [String])
    /// The column holds integers (token metadata), not activations.
    case notActivations(store: String, column: String)
    /// The run trained on every row, so nothing is held out.
    case noHeldOutRows(run: String, trainedRows: Range<Int>)
    /// The rows to evaluate are empty (after filters).
    case noRows(store: String, rows: Range<Int>, reason: String)
    /// A measure needs a token metadata column the store lacks (imported stores have none).
    case missingTokenColumn(store: String, column: String, needed: String)
    /// The model does not fit the store: other width or activations than the store holds.
    case modelMismatch(model: String, hook: String, detail: String)
    /// The model has no MLP before the hook (for the neuron baseline) or no such layer.
    case hookNotInModel(model: String, hook: String, layerCount: Int)
    /// The model's family has no such hook site, or cannot replace the hook's activation
    /// mid-forward (which the downstream loss needs); `family` is config.json's family name.
    case unsupportedHook(model: String, family: String, hook: String, reason: String)
    /// Token metadata contradicts itself (positions not consecutive inside a window).
    case inconsistentWindows(store: String, row: Int, detail: String)
    /// A sweep or evaluation option is out of range.
    case invalidArgument(String)

    /// One line for the CLI: what did not fit, and the option or command that fixes it.
    public var description: String {
        switch self {
        case let .notAnSAE(path):
            return "\(path) holds neither sae/cfg.json (a `saestore train` run) nor cfg.json and sae_weights.safetensors (an SAELens SAE); pass a run directory or an SAE directory"
        case let .unknownHook(sae):
            return "\(sae) does not say which hook it was trained on (no run.json, no hook_name in cfg.json); pass --hook"
        case let .hookNotInStore(store, hook, available):
            return "store \(store) has no column \(hook); it has \(available.joined(separator: ", ")). Evaluate on the store the SAE was trained on, or pass --hook"
        case let .notActivations(store, column):
            return "column \(column) of \(store) holds integers (token metadata), not activations; pass an activation column with --hook"
        case let .noHeldOutRows(run, trained):
            return "\(run) trained on rows \(trained.lowerBound)..\(trained.upperBound), i.e. every row of the store, so none are held out (it was trained with --holdout 0 or --rows covering the store); pass --rows A..B to evaluate on rows anyway, or retrain with the default --holdout"
        case let .noRows(store, rows, reason):
            return "no rows to evaluate in \(store) rows \(rows.lowerBound)..\(rows.upperBound): \(reason)"
        case let .missingTokenColumn(store, column, needed):
            return "\(store) has no \(column) column, which \(needed) needs (stores made by `saestore import` have no token metadata); leave out --model, or evaluate on an ingested store"
        case let .modelMismatch(model, hook, detail):
            return "the model \(model) does not match the store at \(hook): \(detail). Pass the model the store was ingested with"
        case let .hookNotInModel(model, hook, layerCount):
            return "the model \(model) has \(layerCount) blocks (0...\(layerCount - 1)); it has no \(hook). Pass the model the store was ingested with"
        case let .unsupportedHook(model, family, hook, reason):
            return "the model \(model) (family \(family)) cannot be evaluated at \(hook): \(reason). Leave out --model for the reconstruction measures alone, or pass a model of a family docs/MODELS.md lists as evaluable"
        case let .inconsistentWindows(store, row, detail):
            return "\(store) row \(row): \(detail); run `saestore verify` on the store"
        case let .invalidArgument(message):
            return message
        }
    }
}
