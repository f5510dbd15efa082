import ArgumentParser
import Foundation
import StreamTrain

/// `mpirun -np N saestore-bench allreduce --floats P`: the pure cost of the in-place MPI_Allreduce
/// (sum) that a data-parallel step makes, with every rank arriving together (a barrier before
/// each call), for each size in --floats. Rank 0 prints one JSON line per size.
struct AllreduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "allreduce",
                                                    abstract: "Time MPI_Allreduce of P floats (run under mpirun).")

    @Option(parsing: .upToNextOption, help: "Buffer sizes in floats.") var floats: [Int] = [1 << 16, 1 << 20, 1 << 23]
    @Option(help: "Timed calls per size (after 3 untimed).") var repeats = 20

    func run() throws {
        guard let launch = MPILaunch.detect(environment: ProcessInfo.processInfo.environment), launch.rankCount > 1 else {
            throw ValidationError("run under mpirun with at least 2 ranks")
        }
        let mpi = try MPICollective.start(launch: launch)
        for count in floats {
            var buffer = [Float](repeating: 1, count: count)
            var times: [Double] = []
            for call in 0..<(repeats + 3) {
                try mpi.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                try mpi.sumInPlace(&buffer)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if call >= 3 { times.append(seconds) }
            }
            // Every rank contributed ones: each element must now be the rank count (a power of
            // the rank count after the earlier calls, since the buffer is reduced in place).
            precondition(buffer[0] > 1, "allreduce did not sum")
            times.sort()
            if mpi.isRoot {
                let bytes = Double(count * 4)
                let median: Double = times[times.count / 2]
                let ranks = Double(mpi.rankCount)
                // Ring allreduce moves 2(N−1)/N of the buffer through each link.
                let ringFactor: Double = 2 * (ranks - 1) / ranks
                var line: [String: Any] = ["ranks": mpi.rankCount, "floats": count, "bytes": count * 4]
                line["min_ms"] = times[0] * 1000
                line["median_ms"] = median * 1000
                line["algbw_GBps"] = bytes / median / 1e9
                line["busbw_GBps"] = bytes * ringFactor / median / 1e9
                let data = try JSONSerialization.data(withJSONObject: withKernelSet(line), options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
        try mpi.finish()
    }
}
