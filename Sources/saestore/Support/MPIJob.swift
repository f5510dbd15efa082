import Foundation
import StreamTrain

/// The CLI's view of an MPI launch: a single process unless mpirun started several ranks.
struct MPIJob {
    let collective: Collective
    private let mpi: MPICollective?

    /// Joins the MPI job when the environment says this process is one of several ranks;
    /// otherwise (no launcher, or one rank) runs alone without touching libmpi.
    static func start() throws -> MPIJob {
        guard let launch = MPILaunch.detect(environment: ProcessInfo.processInfo.environment),
              launch.rankCount > 1 else {
            return MPIJob(collective: SingleProcessCollective(), mpi: nil)
        }
        let mpi = try MPICollective.start(launch: launch)
        return MPIJob(collective: mpi, mpi: mpi)
    }

    /// MPI_Finalize after a successful run. After an error the process exits without it, and
    /// mpirun ends the other ranks and reports the failed one.
    func finish() {
        try? mpi?.finish()
    }
}
