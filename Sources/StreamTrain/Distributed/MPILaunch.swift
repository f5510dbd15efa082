import Foundation

/// What mpirun (or another MPI launcher) tells a process through its environment, read before
/// touching libmpi so that a plain run never loads it.
public struct MPILaunch: Equatable, Sendable {
    /// This process's rank.
    public var rank: Int
    /// Processes in the job.
    public var rankCount: Int
    /// Processes of the job on this machine, when the launcher says (OMPI_COMM_WORLD_LOCAL_SIZE,
    /// PMIX_LOCAL_SIZE or MPI_LOCALNRANKS).
    public var localRankCount: Int? = nil

    /// Threads each rank should use by default: this machine's cores shared by its ranks.
    public func threadsPerRank(coreCount: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        max(1, coreCount / max(1, localRankCount ?? 1))
    }

    /// The launch described by `environment`, or nil when the process was not started by an
    /// MPI launcher. Open MPI sets OMPI_COMM_WORLD_{RANK,SIZE}; PMIx launchers (Open MPI 5,
    /// Slurm's srun --mpi=pmix) PMIX_RANK (+ OMPI_COMM_WORLD_SIZE or PMIX_SIZE); MPICH/Hydra
    /// PMI_RANK/PMI_SIZE.
    public static func detect(environment: [String: String]) -> MPILaunch? {
        func int(_ key: String) -> Int? { environment[key].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        let rank = int("OMPI_COMM_WORLD_RANK") ?? int("PMIX_RANK") ?? int("PMI_RANK")
        let size = int("OMPI_COMM_WORLD_SIZE") ?? int("PMIX_SIZE") ?? int("PMI_SIZE")
        guard let rank, let size, size >= 1, (0..<size).contains(rank) else { return nil }
        let local = int("OMPI_COMM_WORLD_LOCAL_SIZE") ?? int("PMIX_LOCAL_SIZE") ?? int("MPI_LOCALNRANKS")
        return MPILaunch(rank: rank, rankCount: size, localRankCount: local.flatMap { $0 >= 1 ? $0 : nil })
    }
}
