import Foundation

extension SAETrainer {
    /// Trains until the epochs or a budget run out. Metrics go to `loggers`, checkpoints to
    /// `checkpoints` (every `checkpointIntervalSteps` and at the end), events to `progress`.
    /// The one-process case of the training loop: the loop of `train(rankSource:collective:…)`
    /// with `SingleProcessCollective`, reading every row of each batch from `source`.
    @discardableResult
    public func train<Source: BatchSource>(
        source: inout Source, loggers: [MetricsLogger] = [], checkpoints: CheckpointStore? = nil,
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainingSummary {
        var feed = SingleSourceFeed(source: source)
        defer { source = feed.source }
        return try runTrainingLoop(feed: &feed, collective: SingleProcessCollective(), loggers: loggers,
                                   checkpoints: checkpoints, replicaCheckIntervalSteps: 0, progress: progress)
    }

    /// The training loop, for one process or one rank of many (docs/MPI.md). Each step this
    /// process computes the gradients of its rows of the global batch; with several ranks the
    /// row-weighted gradients and firing tallies are summed over the ranks in one allreduce
    /// (`GradientReduction`) and every rank takes the same Adam step from the same sums. With
    /// one rank the sums are the identity and are skipped, so a plain run is this loop with
    /// `SingleProcessCollective`. Metric windows are summed over the ranks when emitted.
    func runTrainingLoop<Feed: TrainingFeed>(
        feed: inout Feed, collective: Collective, loggers: [MetricsLogger], checkpoints: CheckpointStore?,
        replicaCheckIntervalSteps: Int, progress: (TrainingProgress) -> Void
    ) throws -> TrainingSummary {
        guard feed.rowWidth == config.feedRowWidth else {
            throw TrainingError.widthMismatch(sourceWidth: feed.rowWidth, saeWidth: config.feedRowWidth)
        }
        let ranks = collective.rankCount
        if ranks > 1 {
            let streams = feed.partitionStreamCount ?? 1
            var agreed = [Double(state.stepCount), Double(streams)]
            try collective.sumInPlace(&agreed)
            guard agreed == [Double(state.stepCount * ranks), Double(streams * ranks)] else {
                throw DistributedError.launchMismatch(detail: "the ranks start from different steps or stream counts (this rank: step \(state.stepCount), \(streams) streams); did a checkpoint appear while they started?")
            }
        }
        if let position = pendingLoaderPosition {
            try feed.restore(position: position)
            pendingLoaderPosition = nil
        }
        if state.activationScale == nil {
            // s = sqrt(d_in) / mean‖x‖ over the first `normalizationEstimateRowCount` rows (or the
            // whole first epoch if shorter), summed over the ranks.
            let local = try feed.normSums(rowCount: config.normalizationEstimateRowCount, batchSize: config.batchSize,
                                          scratch: &batch)
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
        if config.bDecInit != .zeros, state.stepCount == 0, state.decoderBiasInitialized != true {
            try feed.initializeDecoderBias(of: self)
        }
        let localCapacity = feed.maxLocalRowCount(globalRowCount: config.batchSize)
        if batch.count < localCapacity * config.feedRowWidth {
            batch = [Float](repeating: 0, count: localCapacity * config.feedRowWidth)
        }
        // One process never packs: its gradients are already the whole batch's.
        var reduction = ranks > 1 ? GradientReduction(gradients: gradients, latentCount: config.latentCount) : nil
        dataParallelTimings = DataParallelTimings()
        dataParallelTimings.reducedFloatCount = reduction?.flat.count ?? 0
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
            let localRows = try feed.nextBatch(into: &batch, globalRowLimit: rowLimit)
            dataParallelTimings.loadSeconds += clock.lap()
            var losses = SAELosses(mse: 0, l1: 0, total: 0, activeLatentCount: 0)
            if localRows > 0 {
                losses = try computeGradients(rowCount: localRows)
            }
            dataParallelTimings.gradientSeconds += clock.lap()
            var globalRows = localRows
            var globalLosses = losses
            if reduction != nil {
                reduction!.pack(gradients: gradients, firedRowCounts: workspace.firedRowCounts, rowCount: localRows,
                                losses: losses, pool: workspace.pool)
                dataParallelTimings.packSeconds += clock.lap()
                try collective.sumInPlace(&reduction!.flat)
                dataParallelTimings.allreduceSeconds += clock.lap()
                globalRows = reduction!.rowCount
                if globalRows > 0 {
                    globalLosses = reduction!.unpack(into: &gradients, firedRowCounts: &workspace.firedRowCounts,
                                                     pool: workspace.pool)
                    // The sum over ranks may overflow where each rank's part was finite.
                    workspace.weightGradientsKnownFinite = false
                }
                dataParallelTimings.packSeconds += clock.lap()
            }
            if globalRows == 0 {
                if state.epochTokenCount == 0 { throw TrainingError.emptySource(epoch: state.epochIndex) }
                try feed.advanceEpoch()
                state.epochIndex += 1
                state.epochTokenCount = 0
                progress(.epochFinished(epoch: state.epochIndex - 1, step: state.stepCount))
                continue
            }
            try finishStep(globalRowCount: globalRows, globalLosses: globalLosses, localRowCount: localRows, localLosses: losses)
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
            // Only the process given `checkpoints` (rank 0) writes; every rank's position is the
            // same blob (RankBatchSource.position()).
            if let checkpoints, options.checkpointIntervalSteps > 0, state.stepCount % options.checkpointIntervalSteps == 0 {
                let url = try checkpoints.save(checkpoint(loaderPosition: try feed.position()))
                lastCheckpointStep = state.stepCount
                progress(.checkpointSaved(step: state.stepCount, directory: url))
            }
        }
        if window.stepCount > 0 {
            try sumWindow(collective: collective)
            lastMetrics = try emitMetrics(loggers: loggers, progress: progress)
        }
        for logger in loggers { try logger.flush() }
        if let checkpoints, lastCheckpointStep != state.stepCount {
            let url = try checkpoints.save(checkpoint(loaderPosition: try feed.position()))
            progress(.checkpointSaved(step: state.stepCount, directory: url))
        }
        if ranks > 1 { try checkReplicas(collective: collective) }
        return TrainingSummary(stopReason: stopReason, stepCount: state.stepCount,
                               tokenCount: state.tokenCount, epochsCompleted: state.epochIndex,
                               lastMetrics: lastMetrics)
    }

    /// Monotonic lap timer for the step breakdown (`dataParallelTimings`).
    private struct StepClock {
        private var last: UInt64 = 0
        mutating func start() { last = DispatchTime.now().uptimeNanoseconds }
        mutating func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { last = now }
            return Double(now - last) / 1e9
        }
    }
}
