import Extract
import Foundation
import StreamTrain
import BLASKernels

/// The CLI's view of an MPI launch: a single process unless mpirun started several ranks.
struct MPIJob {
    let collective: Collective
    private let mpi: MPICollective?
    /// Default threads per process: all cores alone; under mpirun, the cores of this machine
    /// shared by the ranks on it (so `mpirun -np 2` on 2 cores does not run 4 threads).
    let threadsPerRank: Int?

    /// Joins the MPI job when the environment says this process is one of several ranks;
    /// otherwise (no launcher, or one rank) runs alone without touching libmpi.
    static func start() throws -> MPIJob {
        guard let launch = MPILaunch.detect(environment: ProcessInfo.processInfo.environment),
              launch.rankCount > 1 else {
            return MPIJob(collective: SingleProcessCollective(), mpi: nil, threadsPerRank: nil)
        }
        let mpi = try MPICollective.start(launch: launch)
        return MPIJob(collective: mpi, mpi: mpi, threadsPerRank: launch.threadsPerRank())
    }

    /// Under mpirun, makes this rank's share of the cores the default for the SAE kernels and,
    /// unless `explicitBLAS` or OPENBLAS_NUM_THREADS says otherwise, for OpenBLAS.
    func applyThreadShare(explicitBLAS: Int?) {
        guard let share = threadsPerRank else { return }
        KernelThreading.defaultThreadCount = share
        if explicitBLAS == nil, ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            BLAS.threadCount = share
        }
    }

    /// MPI_Finalize after a successful run. After an error the process exits without it, and
    /// mpirun ends the other ranks and reports the failed one.
    func finish() {
        try? mpi?.finish()
    }
}
