/// Problems writing or reading `RUN/checkpoints/step-N/`.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// A system call failed.
    case io(path: String, operation: String, message: String)
    /// A checkpoint directory lacks a file or a tensor, or holds one of the wrong size.
    case malformed(directory: String, detail: String)

    /// The message with the path and a hint.
    public var description: String {
        switch self {
        case let .io(path, operation, message):
            return "checkpoint \(path): \(operation) failed: \(message). Hint: check free space and permissions."
        case let .malformed(directory, detail):
            return "checkpoint \(directory): \(detail). Hint: delete this step directory to fall back to an older one."
        }
    }
}
