/// Failures of a multi-process (MPI) run.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// The process was started by mpirun with more than one rank but libmpi could not be used.
    case mpiUnavailable(detail: String)
    /// An MPI call returned an error code.
    case mpiCall(function: String, code: Int, message: String)
    /// mpirun's environment and MPI disagree about the job.
    case launchMismatch(detail: String)
    /// The ranks' weights differ after a step (they must stay bitwise identical).
    case replicasDiverged(step: Int, rank: Int, checksum: UInt64, rootChecksum: UInt64)
    /// The job cannot be split as asked.
    case badPartition(detail: String)

    /// The message with what failed and a hint.
    public var description: String {
        switch self {
        case let .mpiUnavailable(detail):
            return "this process was launched by mpirun with several ranks, but MPI is not usable: \(detail). saestore loads Open MPI's libmpi.so.40 at run time (Debian/Ubuntu: apt-get install openmpi-bin); see docs/MPI.md"
        case let .mpiCall(function, code, message):
            return "\(function) failed with MPI error \(code): \(message)"
        case let .launchMismatch(detail):
            return "MPI launch mismatch: \(detail)"
        case let .replicasDiverged(step, rank, checksum, rootChecksum):
            return String(format: "after step %d rank %d's weights (checksum %016llx) differ from rank 0's (%016llx); the ranks no longer train one model (different OpenBLAS builds or thread counts per rank?)",
                          step, rank, checksum, rootChecksum)
        case let .badPartition(detail):
            return "cannot split the training data across the ranks: \(detail)"
        }
    }
}
