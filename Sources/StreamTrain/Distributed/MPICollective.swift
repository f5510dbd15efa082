import CMPIShim
import Foundation

/// Collectives over MPI_COMM_WORLD through `CMPIShim` (libmpi is dlopen()ed, so this is the
/// only file that knows MPI exists). One per process: `start()` initialises MPI, `finish()`
/// finalises it. Only the thread that started it may call it (MPI_THREAD_FUNNELED).
public final class MPICollective: Collective {
    /// This process's rank in MPI_COMM_WORLD, 0..<rankCount.
    public let rank: Int
    /// Processes in MPI_COMM_WORLD.
    public let rankCount: Int
    private var finished = false

    private init(rank: Int, rankCount: Int) {
        self.rank = rank
        self.rankCount = rankCount
    }

    /// Loads libmpi and joins the job `launch` describes. Throws `.mpiUnavailable` when libmpi
    /// cannot be loaded and `.launchMismatch` when MPI's rank/size differ from the environment's.
    public static func start(launch: MPILaunch) throws -> MPICollective {
        var message = [CChar](repeating: 0, count: 1024)
        if saempi_load(&message, message.count) != 0 {
            throw DistributedError.mpiUnavailable(detail: String(cString: message))
        }
        var rank: Int32 = 0, size: Int32 = 0
        try check("MPI_Init_thread", saempi_init(&rank, &size))
        guard Int(rank) == launch.rank, Int(size) == launch.rankCount else {
            throw DistributedError.launchMismatch(detail: "the environment says rank \(launch.rank) of \(launch.rankCount), MPI says \(rank) of \(size) (is this saestore started by the same MPI it loads?)")
        }
        return MPICollective(rank: Int(rank), rankCount: Int(size))
    }

    /// MPI_Allreduce(MPI_SUM) in place; throws `.mpiCall` on an MPI error code.
    public func sumInPlace(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            try MPICollective.check("MPI_Allreduce", saempi_allreduce_sum_float(buffer.baseAddress, Int64(buffer.count)))
        }
    }

    /// MPI_Allreduce(MPI_SUM) in place; throws `.mpiCall` on an MPI error code.
    public func sumInPlace(_ values: inout [Double]) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            try MPICollective.check("MPI_Allreduce", saempi_allreduce_sum_double(buffer.baseAddress, Int64(buffer.count)))
        }
    }

    /// MPI_Bcast from `root` in place (every rank passes the same count); throws `.mpiCall` on an MPI error code.
    public func broadcast(_ bytes: inout [UInt8], root: Int) throws {
        try bytes.withUnsafeMutableBytes { buffer in
            try MPICollective.check("MPI_Bcast", saempi_bcast_bytes(buffer.baseAddress, Int64(buffer.count), Int32(root)))
        }
    }

    /// MPI_Barrier; throws `.mpiCall` on an MPI error code.
    public func barrier() throws {
        try MPICollective.check("MPI_Barrier", saempi_barrier())
    }

    /// Ends the whole job at once (every rank), e.g. after an error on one rank that the others
    /// cannot see; mpirun then exits with `code`.
    public func abort(code: Int32) -> Never {
        saempi_abort(code)
        exit(code)
    }

    /// MPI_Finalize; call once, after the last collective, on every rank.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        try MPICollective.check("MPI_Finalize", saempi_finalize())
    }

    private static func check(_ function: String, _ code: Int32) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 1024)
        saempi_error_string(code, &text, Int32(text.count))
        throw DistributedError.mpiCall(function: function, code: Int(code), message: String(cString: text))
    }
}
