/// Errors of feature analysis, each naming what did not fit and how to fix it.
public enum FeaturesError: Error, CustomStringConvertible, Equatable {
    /// The SAE's d_in is not the column's width.
    case widthMismatch(sae: String, dIn: Int, column: String, width: Int)
    /// Results were computed on another store (or another state of it).
    case foreignResults(results: String, expectedStore: String, foundStore: String)
    /// A results directory is missing, damaged or from a newer saestore.
    case badResults(path: String, detail: String)
    /// The SAE's files changed since the scan, so recomputed activations would not match.
    case saeChanged(results: String, sae: String, expectedHash: String, foundHash: String)
    /// An option or argument is out of range or names something absent; the message says which and what to pass.
    case invalidArgument(String)

    /// One line for the CLI: what did not fit, and the option or command that fixes it.
    public var description: String {
        switch self {
        case let .widthMismatch(sae, dIn, column, width):
            return "the SAE in \(sae) takes d_in \(dIn), but column \(column) is \(width) wide; use the SAE trained on this hook"
        case let .foreignResults(results, expected, found):
            return "\(results) was computed on \(found), not \(expected); rerun `saestore features` on this store"
        case let .badResults(path, detail):
            return "\(path): \(detail)"
        case let .saeChanged(results, sae, expected, found):
            return "\(sae) changed since \(results) was computed (hash \(found), the scan used \(expected)); rerun `saestore features` or pass the scanned SAE with --sae"
        case let .invalidArgument(message):
            return message
        }
    }
}
