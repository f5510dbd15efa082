import Foundation

extension SAETrainer {
    /// Data-parallel training (docs/MPI.md): every rank runs this with its `RankBatchSource`
    /// and the same config. Each step, every rank computes the gradients of its rows, the
    /// row-weighted gradients and firing tallies are summed over the ranks in one in-place
    /// allreduce, and every rank takes the same Adam step from the same sums, so the weights
    /// stay identical everywhere. Metric windows are summed over ranks when emitted. Only the
    /// ranks given `loggers`/`checkpoints` (rank 0) write. `replicaCheckIntervalSteps` > 0
    /// compares a checksum of every rank's weights with rank 0's every that many steps.
    /// The loop is the one `train(source:…)` runs (`runTrainingLoop`); this adds the refusals
    /// of what is not yet a sum over the ranks' rows. Throws `DistributedError.badPartition`
    /// for those, `.launchMismatch` when the ranks start from different steps or stream counts,
    /// and the training errors of `train(source:…)`.
    @discardableResult
    public func train(
        rankSource source: RankBatchSource, collective: Collective, loggers: [MetricsLogger] = [],
        checkpoints: CheckpointStore? = nil, replicaCheckIntervalSteps: Int = 0,
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainingSummary {
        // The paired rows of a transcoder are not split over ranks yet.
        guard config.transcoder == nil else {
            throw DistributedError.badPartition(detail: "transcoders train in one process only (paired input/target streams are not partitioned yet); run without --streams or mpirun")
        }
        guard source.rowWidth == config.dIn else {
            throw TrainingError.widthMismatch(sourceWidth: source.rowWidth, saeWidth: config.dIn)
        }
        // BatchTopK selects over the whole batch and JumpReLU trains a threshold the reduction
        // does not carry: neither would be one model's step split across ranks.
        guard !config.architecture.hasThreshold else {
            throw DistributedError.badPartition(detail: "--arch \(config.architecture.rawValue) trains in one process only (its step is not a sum over row subsets); run it without --streams or mpirun")
        }
        // The b_dec sample is drawn from one process's rows.
        guard config.bDecInit == .zeros else {
            throw DistributedError.badPartition(detail: "--b-dec-init \(config.bDecInit.rawValue) trains in one process only (its sample is not gathered over ranks yet); run it without --streams or mpirun")
        }
        // Resampling draws rows from one process's batch and its row losses.
        guard config.resampleEverySteps == nil else {
            throw DistributedError.badPartition(detail: "--resample-every trains in one process only (it draws from one process's batch); run it without --streams or mpirun")
        }
        var feed = source
        return try runTrainingLoop(feed: &feed, collective: collective, loggers: loggers, checkpoints: checkpoints,
                                   replicaCheckIntervalSteps: replicaCheckIntervalSteps, progress: progress)
    }

    /// A 64-bit hash of every weight's bit pattern (equal weights ⇔ equal hash, up to collisions):
    /// the four SAELens tensors, and the gated SAE's r_mag and b_mag.
    public var weightsChecksum: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let magnitude = sae.weights.rMag.isEmpty ? [] : [sae.weights.rMag, sae.weights.bMag]
        for tensor in sae.weights.tensors + magnitude {
            tensor.withUnsafeBufferPointer { values in
                for value in values { hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3 }
            }
            hash = (hash ^ UInt64(tensor.count)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Throws `replicasDiverged` unless this rank's weights hash as rank 0's (no-op on one rank).
    func checkReplicas(collective: Collective) throws {
        guard collective.rankCount > 1 else { return }
        let mine = weightsChecksum
        var bytes = withUnsafeBytes(of: mine.littleEndian) { Array($0) }
        try collective.broadcast(&bytes, root: 0)
        let root = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard root == mine else {
            throw DistributedError.replicasDiverged(step: state.stepCount, rank: collective.rank, checksum: mine, rootChecksum: root)
        }
    }

    /// Sums the metric window over the ranks before it is emitted (no-op on one rank).
    func sumWindow(collective: Collective) throws {
        guard collective.rankCount > 1 else { return }
        var sums = window.packedSums
        try collective.sumInPlace(&sums)
        window.setPackedSums(sums)
    }
}
