import Foundation

extension SAETrainer {
    /// Data-parallel training (docs/MPI.md): every rank runs this with its `RankBatchSource`
    /// and the same config. Each step, every rank computes the gradients of its rows, the
    /// row-weighted gradients and firing tallies are summed over the ranks in one in-place
    /// allreduce, and every rank takes the same Adam step from the same sums, so the weights
    /// stay identical everywhere. Metric windows are summed over ranks when emitted. Only the
    /// ranks given `loggers`/`checkpoints` (rank 0) write. `replicaCheckIntervalSteps` > 0
    /// compares a checksum of every rank's weights with rank 0's every that many steps.
    @discardableResult
    public func train(
        rankSource source: RankBatchSource, collective: Collective, loggers: [MetricsLogger] = [],
        checkpoints: CheckpointStore? = nil, replicaCheckIntervalSteps: Int = 0,
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainingSummary {
        guard source.rowWidth == config.dIn else {
            throw TrainingError.widthMismatch(sourceWidth: source.rowWidth, saeWidth: config.dIn)
        }
        // BatchTopK selects over the whole batch and JumpReLU trains a threshold the reduction
        // does not carry: neither would be one model's step split across ranks.
        guard !config.architecture.hasThreshold else {
            throw DistributedError.badPartition(detail: "--arch \(config.architecture.rawValue) trains in one process only (its step is not a sum over row subsets); run it without --streams or mpirun")
        }
        // The gated SAE's step is a sum over rows, but the reduction does not carry r_mag and b_mag yet.
        guard !config.architecture.isGated else {
            throw DistributedError.badPartition(detail: "--arch gated trains in one process only (the gradient reduction does not carry r_mag and b_mag yet); run it without --streams or mpirun")
        }
        // Resampling draws rows from one process's batch and its row losses.
        guard config.bDecInit == .zeros else {
            throw DistributedError.badPartition(detail: "--b-dec-init \(config.bDecInit.rawValue) trains in one process only (its sample is not gathered over ranks yet); run it without --streams or mpirun")
        }
        guard config.resampleEverySteps == nil else {
            throw DistributedError.badPartition(detail: "--resample-every trains in one process only (it draws from one process's batch); run it without --streams or mpirun")
        }
        let ranks = collective.rankCount
        var agreed = [Double(state.stepCount), Double(source.streamCount)]
        try collective.sumInPlace(&agreed)
        guard agreed == [Double(state.stepCount * ranks), Double(source.streamCount * ranks)] else {
            throw DistributedError.launchMismatch(detail: "the ranks start from different steps or stream counts (this rank: step \(state.stepCount), \(source.streamCount) streams); did a checkpoint appear while they started?")
        }
        if let position = pendingLoaderPosition {
            try source.restore(position: position)
            pendingLoaderPosition = nil
        }
        if state.activationScale == nil {
            let perStream = (config.normalizationEstimateRowCount + source.streamCount - 1) / source.streamCount
            let local = try source.normSums(rowsPerStream: perStream)
            var sums = [local.normSum, Double(local.rowCount)]
            try collective.sumInPlace(&sums)
            guard sums[1] > 0 else { throw TrainingError.emptySource(epoch: state.epochIndex) }
            let meanNorm = sums[0] / sums[1]
            guard meanNorm > 0 else {
                throw TrainingError.badSource(reason: "the first \(Int(sums[1])) rows are all zero; cannot normalise them")
            }
            let scale = Float(Double(config.dIn).squareRoot() / meanNorm)
            state.activationScale = scale
            progress(.normalizationEstimated(scale: scale, rowCount: Int(sums[1])))
        }
        let rankCapacity = source.maxRankRowCount(globalRowCount: config.batchSize)
        if batch.count < rankCapacity * config.dIn {
            batch = [Float](repeating: 0, count: rankCapacity * config.dIn)
        }
        var reduction = GradientReduction(gradients: gradients, latentCount: config.latentCount)
        dataParallelTimings = DataParallelTimings()
        dataParallelTimings.reducedFloatCount = ranks > 1 ? reduction.flat.count : 0
        var clock = StepClock()
        window.reset()
        var lastMetrics: TrainingMetrics?
        var lastCheckpointStep = -1
        let stopReason: TrainingSummary.StopReason
        while true {
            if let reason = budgetStopReason() {
                stopReason = reason
                break
            }
            let rowLimit = nextBatchRowLimit()
            clock.start()
            let localRows = try source.nextBatch(into: &batch, globalRowLimit: rowLimit)
            dataParallelTimings.loadSeconds += clock.lap()
            var losses = SAELosses(mse: 0, l1: 0, total: 0, activeLatentCount: 0)
            if localRows > 0 {
                losses = try computeGradients(rowCount: localRows)
            }
            dataParallelTimings.gradientSeconds += clock.lap()
            var globalRows = localRows
            var globalLosses = losses
            if ranks > 1 {
                reduction.pack(gradients: gradients, firedRowCounts: workspace.firedRowCounts, rowCount: localRows,
                               losses: losses, pool: workspace.pool)
                dataParallelTimings.packSeconds += clock.lap()
                try collective.sumInPlace(&reduction.flat)
                dataParallelTimings.allreduceSeconds += clock.lap()
                globalRows = reduction.rowCount
                if globalRows > 0 {
                    globalLosses = reduction.unpack(into: &gradients, firedRowCounts: &workspace.firedRowCounts,
                                                    l1Coefficient: scheduledL1Coefficient, pool: workspace.pool)
                    // The sum over ranks may overflow where each rank's part was finite.
                    workspace.weightGradientsKnownFinite = false
                }
                dataParallelTimings.packSeconds += clock.lap()
            }
            if globalRows == 0 {
                if state.epochTokenCount == 0 { throw TrainingError.emptySource(epoch: state.epochIndex) }
                try source.advanceEpoch()
                state.epochIndex += 1
                state.epochTokenCount = 0
                progress(.epochFinished(epoch: state.epochIndex - 1, step: state.stepCount))
                continue
            }
            try applyGradients(rowCount: globalRows, losses: globalLosses)
            window.add(x: batch, residuals: workspace.residuals, rowCount: localRows, dIn: config.dIn, losses: losses)
            dataParallelTimings.updateSeconds += clock.lap()
            dataParallelTimings.stepCount += 1
            progress(.stepFinished(step: state.stepCount, tokenCount: state.tokenCount,
                                   epoch: state.epochIndex, loss: globalLosses.total))
            if replicaCheckIntervalSteps > 0, state.stepCount % replicaCheckIntervalSteps == 0 {
                try checkReplicas(collective: collective)
            }
            if state.stepCount % options.logIntervalSteps == 0 {
                try sumWindow(collective: collective)
                lastMetrics = try emitMetrics(loggers: loggers, progress: progress)
            }
            if options.checkpointIntervalSteps > 0, state.stepCount % options.checkpointIntervalSteps == 0 {
                let position = try source.position()
                if let checkpoints {
                    let url = try checkpoints.save(checkpoint(loaderPosition: position))
                    progress(.checkpointSaved(step: state.stepCount, directory: url))
                }
                lastCheckpointStep = state.stepCount
            }
        }
        if window.stepCount > 0 {
            try sumWindow(collective: collective)
            lastMetrics = try emitMetrics(loggers: loggers, progress: progress)
        }
        for logger in loggers { try logger.flush() }
        if let checkpoints, lastCheckpointStep != state.stepCount {
            let url = try checkpoints.save(checkpoint(loaderPosition: try source.position()))
            progress(.checkpointSaved(step: state.stepCount, directory: url))
        }
        if ranks > 1 { try checkReplicas(collective: collective) }
        return TrainingSummary(stopReason: stopReason, stepCount: state.stepCount,
                               tokenCount: state.tokenCount, epochsCompleted: state.epochIndex,
                               lastMetrics: lastMetrics)
    }

    /// Monotonic lap timer for the step breakdown.
    private struct StepClock {
        private var last: UInt64 = 0
        mutating func start() { last = DispatchTime.now().uptimeNanoseconds }
        mutating func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { last = now }
            return Double(now - last) / 1e9
        }
    }

    /// A 64-bit hash of every weight's bit pattern (equal weights ⇔ equal hash, up to collisions).
    public var weightsChecksum: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for tensor in sae.weights.tensors {
            tensor.withUnsafeBufferPointer { values in
                for value in values { hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3 }
            }
            hash = (hash ^ UInt64(tensor.count)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    private func checkReplicas(collective: Collective) throws {
        guard collective.rankCount > 1 else { return }
        let mine = weightsChecksum
        var bytes = withUnsafeBytes(of: mine.littleEndian) { Array($0) }
        try collective.broadcast(&bytes, root: 0)
        let root = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard root == mine else {
            throw DistributedError.replicasDiverged(step: state.stepCount, rank: collective.rank, checksum: mine, rootChecksum: root)
        }
    }

    private func sumWindow(collective: Collective) throws {
        guard collective.rankCount > 1 else { return }
        var sums = window.packedSums
        try collective.sumInPlace(&sums)
        window.setPackedSums(sums)
    }
}
