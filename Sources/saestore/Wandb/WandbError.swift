/// Why `saestore train --wandb` cannot log, each with what to do.
enum WandbError: Error, CustomStringConvertible {
    /// scripts/wandb_stream.py was found in none of `searched`.
    case scriptNotFound(searched: [String])
    /// The Python interpreter could not be run.
    case pythonMissing(python: String)
    /// The interpreter runs but cannot import wandb (`message` is its own words).
    case clientMissing(python: String, message: String)
    /// The W&B child exited with `status` before or after training; the metrics are safe.
    case childFailed(status: Int32, run: String)

    var description: String {
        switch self {
        case let .scriptNotFound(searched):
            return "--wandb needs scripts/wandb_stream.py, which is not at \(searched.joined(separator: ", ")); set SAESTORE_WANDB_SCRIPT to its path"
        case let .pythonMissing(python):
            return "--wandb runs the wandb Python client, but \(python) could not be started: install Python 3 and `pip install wandb`, or set SAESTORE_PYTHON"
        case let .clientMissing(python, message):
            return "--wandb: \(python) cannot import wandb: pip install wandb (or set SAESTORE_PYTHON to a Python that has it)\(message.isEmpty ? "" : "\n\(message)")"
        case let .childFailed(status, run):
            return "W&B logging stopped with status \(status); training itself is unaffected and \(run)/metrics.jsonl holds every record: `python3 scripts/wandb_stream.py \(run)` logs them again"
        }
    }
}
