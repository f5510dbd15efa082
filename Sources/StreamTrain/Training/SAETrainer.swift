import Foundation

/// Trains one SAE from any `BatchSource`: Adam steps on sgemm forward/backward, metrics to
/// loggers every `logIntervalSteps`, checkpoints, and typed errors on NaN/Inf.
///
/// Fresh run: `SAETrainer(config:options:)`, then `train(source:…)` (one process) or
/// `train(rankSource:collective:…)` (one rank of a data-parallel run): both run the one training
/// loop of `SAETrainer+TrainingLoop.swift`.
/// Resume: `SAETrainer(resumingFrom: checkpoint, options:)`; `train` first moves the source to
/// the checkpoint's loader position.
public final class SAETrainer {
    /// What is being computed.
    public let config: SAEConfig
    /// How the run is driven.
    public let options: SAETrainerOptions
    /// The SAE as trained so far.
    public internal(set) var sae: SparseAutoencoder {
        // Any change of the weights outside the fused Adam step makes the transposed copy stale.
        didSet { decoderRowsCurrent = false }
    }
    /// Whether `workspace.decoderRows` holds W_encᵀ of the current weights (tied SAE: the last
    /// change of the weights was Adam's `updateTransposing`).
    private var decoderRowsCurrent = false
    /// The optimiser (its state is saved in checkpoints).
    public internal(set) var optimizer: Adam
    /// Counters and firing history.
    public internal(set) var state: TrainerState

    /// Tests: the AuxK dead mask to use instead of the firing history (SAELens takes it as an input).
    var auxKDeadMaskOverride: [Bool]?
    /// Steps this trainer object took on the sparse kernels (not saved in checkpoints).
    public internal(set) var sparseStepCount = 0
    /// Step-time breakdown of the last `train` on this process (one rank of a data-parallel run,
    /// or the only process).
    public internal(set) var dataParallelTimings = DataParallelTimings()

    var workspace: SAEWorkspace
    var gradients: SAEWeights
    var batch: [Float]
    var window: MetricsWindow
    var pendingLoaderPosition: Data?
    /// Transcoders: the batch's input and target halves, (B, dIn) each, split from the paired
    /// rows `[x | y]` the feed gives (empty for SAEs).
    var transcoderInput: [Float] = []
    var transcoderTarget: [Float] = []
    /// One partial sum per pool thread for the gradients' finiteness check.
    var finiteCheckSums: [Float]

    /// A fresh SAE initialised from `config.seed`.
    public init(config: SAEConfig, options: SAETrainerOptions = SAETrainerOptions()) throws {
        try config.validate()
        try options.validate()
        var generator = SeededGenerator(seed: config.seed)
        let weights = SparseAutoencoder.initialWeights(config: config, generator: &generator)
        let sae = try SparseAutoencoder(architecture: config.architecture, dIn: config.dIn,
                                        dSAE: config.latentCount, k: config.k,
                                        applyBDecToInput: config.applyBDecToInput, weights: weights,
                                        transcoder: config.transcoder)
        self.config = config
        self.options = options
        self.sae = sae
        optimizer = Adam(config: config, weights: weights)
        state = TrainerState(latentCount: config.latentCount, generator: generator)
        if config.normalizeActivations == .none { state.activationScale = 1 }
        workspace = SAEWorkspace(sae: sae, maxRowCount: config.batchSize,
                                 threadCount: options.kernelThreadCount ?? WorkerPool.defaultThreadCount,
                                 reservingSparse: options.kernels != .dense)
        // Its check and Adam skip the W_dec rows of unfired latents after sparse steps.
        workspace.zeroesUnfiredDecoderRows = false
        workspace.training = true
        if let kStart = config.schedule.kStart, kStart > config.k {
            // k annealing starts above the final k: the per-thread TopK heaps hold kStart.
            workspace.topkHeap = [Int](repeating: 0, count: kStart * workspace.pool.threadCount)
            workspace.topkValues = [Float](repeating: 0, count: kStart * workspace.pool.threadCount)
        }
        if config.architecture.usesBatchTopK { state.batchTopKThreshold = 0 }
        gradients = SAEWeights(zerosFor: config.architecture, dIn: config.dIn, dSAE: config.latentCount,
                               skipConnection: config.transcoder?.skipConnection ?? false)
        batch = [Float](repeating: 0, count: config.batchSize * config.feedRowWidth)
        finiteCheckSums = [Float](repeating: 0, count: workspace.pool.threadCount)
        window = MetricsWindow(dIn: config.dIn)
    }

    /// Continues the run saved in `checkpoint` (weights, Adam, counters, loader position).
    public convenience init(resumingFrom checkpoint: TrainingCheckpoint,
                            options: SAETrainerOptions = SAETrainerOptions()) throws {
        try self.init(config: checkpoint.config, options: options)
        try replaceWeights(checkpoint.weights)
        let slotSizes = Adam.tensorSizes(config: config, weights: sae.weights)
        guard checkpoint.adam.firstMoments.map(\.count) == slotSizes,
              checkpoint.adam.secondMoments.map(\.count) == slotSizes else {
            throw TrainingError.checkpointMismatch(detail: "Adam moments do not match the weight shapes")
        }
        guard checkpoint.state.lastFiredTokenCount.count == config.latentCount,
              checkpoint.state.windowFiredCounts.count == config.latentCount else {
            throw TrainingError.checkpointMismatch(detail: "firing history is not \(config.latentCount) latents long")
        }
        optimizer.state = checkpoint.adam
        state = checkpoint.state
        pendingLoaderPosition = checkpoint.loaderPosition
    }

    /// Whether steps time their phases (`phaseSeconds`); off by default (a few clock reads per
    /// step when on). Turning it on or off starts the sums again.
    public var measuresPhases: Bool {
        get { workspace.clock != nil }
        set { workspace.clock = newValue ? PhaseClock() : nil }
    }

    /// Wall-clock seconds per phase summed over the steps since `measuresPhases` was turned on
    /// (zeros when off).
    public var phaseSeconds: [SAEStepPhase: Double] {
        var out: [SAEStepPhase: Double] = [:]
        for phase in SAEStepPhase.allCases { out[phase] = workspace.clock?.seconds[phase.rawValue] ?? 0 }
        return out
    }

    /// Starts the phase sums again (when `measuresPhases`).
    public func resetPhaseSeconds() { workspace.clock?.reset() }

    /// Starts from given weights instead of the seeded init (e.g. the same initial weights as a
    /// PyTorch run). Throws `SAEShapeError` if a tensor has the wrong size.
    public func replaceWeights(_ weights: SAEWeights) throws {
        sae = try SparseAutoencoder(architecture: sae.architecture, dIn: sae.dIn, dSAE: sae.dSAE,
                                    k: sae.k, applyBDecToInput: sae.applyBDecToInput, weights: weights,
                                    transcoder: sae.transcoder)
    }

    /// Firing frequency per latent (fraction of rows with f > 0) over the last complete
    /// frequency window, or over the current one if none has completed.
    public var featureFiringFrequency: [Float] {
        let (counts, tokens) = state.completedWindowTokenCount > 0
            ? (state.completedWindowFiredCounts, state.completedWindowTokenCount)
            : (state.windowFiredCounts, state.windowTokenCount)
        return counts.map { tokens > 0 ? Float(Double($0) / Double(tokens)) : 0 }
    }

    /// Fraction of latents with no firing in the last `deadFeatureWindowTokens` rows.
    public var deadFeatureFraction: Double {
        let horizon = state.tokenCount - options.deadFeatureWindowTokens
        let dead = state.lastFiredTokenCount.filter { $0 == 0 || $0 <= horizon }.count
        return Double(dead) / Double(max(config.latentCount, 1))
    }

    /// A checkpoint of the current state; `loaderPosition` is the source's `position()`.
    public func checkpoint(loaderPosition: Data) -> TrainingCheckpoint {
        TrainingCheckpoint(config: config, weights: sae.weights, adam: optimizer.state,
                           state: state, loaderPosition: loaderPosition)
    }

    /// One optimiser step on `rowCount` rows of `rows` (row-major, ≤ batchSize rows), scaled by
    /// the activation scale. Needs the scale to be known (always true without normalisation).
    /// A transcoder's rows are paired, `[x | y]` (`SAEConfig.feedRowWidth` = 2·dIn floats each).
    @discardableResult
    public func step(rows: [Float], rowCount: Int) throws -> SAELosses {
        precondition(rowCount > 0 && rowCount <= config.batchSize,
                     "step on \(rowCount) rows; batchSize is \(config.batchSize)")
        precondition(rows.count >= rowCount * config.feedRowWidth, "\(rows.count) floats for \(rowCount) rows")
        batch.withUnsafeMutableBufferPointer { out in
            rows.withUnsafeBufferPointer { src in
                out.baseAddress!.update(from: src.baseAddress!, count: rowCount * config.feedRowWidth)
            }
        }
        return try stepOnBatchBuffer(rowCount: rowCount)
    }

    // MARK: - Internals

    /// Why training stops before the next step (step, token or epoch budget), or nil.
    func budgetStopReason() -> TrainingSummary.StopReason? {
        if let maxSteps = options.maxSteps, state.stepCount >= maxSteps { return .stepBudgetReached }
        if let maxTokens = options.maxTokens, state.tokenCount >= maxTokens { return .tokenBudgetReached }
        if state.epochIndex >= config.epochs { return .epochsCompleted }
        return nil
    }

    /// Rows the next batch may take: the batch size, or what is left of the token budget.
    func nextBatchRowLimit() -> Int {
        guard let maxTokens = options.maxTokens else { return config.batchSize }
        return min(config.batchSize, maxTokens - state.tokenCount)
    }

    func emitMetrics(loggers: [MetricsLogger],
                             progress: (TrainingProgress) -> Void) throws -> TrainingMetrics {
        let metrics = window.metrics(step: state.stepCount, tokenCount: state.tokenCount,
                                     epoch: state.epochIndex, l1Coefficient: scheduledL1Coefficient,
                                     dIn: config.dIn, deadFraction: deadFeatureFraction,
                                     learningRate: optimizer.learningRate)
        window.reset()
        for logger in loggers { try logger.log(metrics) }
        progress(.metrics(metrics))
        return metrics
    }

    /// A whole step on the batch buffer's `B` rows in one process (`step(rows:rowCount:)`).
    private func stepOnBatchBuffer(rowCount B: Int) throws -> SAELosses {
        let losses = try computeGradients(rowCount: B)
        try finishStep(globalRowCount: B, globalLosses: losses, localRowCount: B, localLosses: losses)
        return losses
    }

    /// The rest of a step once `gradients` hold the mean gradient over the global batch's
    /// `globalRowCount` rows: Adam and the counters, this process's `localRowCount` rows (still
    /// in the batch buffer) into the metrics window, and resampling when due (one process only:
    /// it draws from this process's rows and their losses).
    func finishStep(globalRowCount: Int, globalLosses: SAELosses, localRowCount: Int, localLosses: SAELosses) throws {
        try applyGradients(rowCount: globalRowCount, losses: globalLosses)
        // A transcoder's FVE is of its target: ŷ − y against y's variance.
        window.add(x: config.transcoder == nil ? batch : transcoderTarget, residuals: workspace.residuals, rowCount: localRowCount, dIn: config.dIn, losses: localLosses)
        if let every = config.resampleEverySteps, state.stepCount % every == 0 { resampleDeadLatents(rowCount: localRowCount) }
        workspace.clock?.lap(.bookkeeping)
    }

    /// Scales the batch buffer's `B` rows, checks them, and leaves the loss's gradients (a mean
    /// over these rows) in `gradients` and the firing tallies in the workspace.
    func computeGradients(rowCount B: Int) throws -> SAELosses {
        guard let scale = state.activationScale else {
            preconditionFailure("step before the activation scale is known; train() estimates it first")
        }
        let nextStep = state.stepCount + 1
        workspace.clock?.start()
        try checkAndScaleBatch(rowCount: B, scale: scale, step: nextStep)
        workspace.clock?.lap(.input)
        if config.architecture == .jumprelu { clampThresholds() }
        applySchedule()
        workspace.decoderRowsMatchEncoder = decoderRowsCurrent
        if config.transcoder != nil {
            splitPairedBatch(rowCount: B)
            let losses = sae.transcoderLossAndGradients(transcoderInput, target: transcoderTarget, rowCount: B,
                                                        l1Coefficient: scheduledL1Coefficient,
                                                        workspace: &workspace, gradients: &gradients)
            guard losses.total.isFinite, abs(losses.total) <= Double(Float.greatestFiniteMagnitude) else {
                throw TrainingError.nonFiniteLoss(step: nextStep, mse: losses.mse, l1: losses.l1)
            }
            return losses
        }
        let losses = sae.lossAndGradients(batch, rowCount: B, l1Coefficient: scheduledL1Coefficient,
                                          workspace: &workspace, gradients: &gradients, kernels: options.kernels,
                                          jumpReLU: config.architecture == .jumprelu ? scheduledJumpReLUTerms : nil,
                                          auxK: auxKTerms(),
                                          matryoshkaWidths: config.architecture == .matryoshka ? config.resolvedMatryoshkaWidths : nil)
        if config.architecture.usesBatchTopK { updateBatchTopKThreshold(openCount: losses.activeLatentCount) }
        // The terms are summed in Double; past Float's range PyTorch's Float loss would be Inf.
        guard losses.total.isFinite, abs(losses.total) <= Double(Float.greatestFiniteMagnitude) else {
            throw TrainingError.nonFiniteLoss(step: nextStep, mse: losses.mse, l1: losses.l1)
        }
        return losses
    }

    /// Adam on `gradients` and the counters for a step of `B` rows (all ranks' rows in a
    /// data-parallel step); the firing tallies are the workspace's.
    func applyGradients(rowCount B: Int, losses: SAELosses) throws {
        let nextStep = state.stepCount + 1
        // A finite loss can still overflow Float in the backward pass; one scan over the
        // gradients (1/B of the step's work) keeps such a step from reaching the weights.
        if let index = firstNonFiniteGradient() {
            throw TrainingError.nonFiniteGradients(step: nextStep, tensor: SAETrainer.gradientNames[index])
        }
        if config.decoderUnitNorm { removeGradientParallelToDecoderRows() }
        workspace.clock?.lap(.gradientCheck)
        // After a sparse step of the tied SAE, Adam also writes W_encᵀ for the next sparse step
        // (its decoder rows), from W_enc while it is in cache instead of a pass of its own.
        let C = config.dIn, H = config.latentCount
        if config.architecture.isTied && workspace.lastStepWasSparse && workspace.decoderRows.count == H * C {
            var rows = workspace.decoderRows
            workspace.decoderRows = []
            rows.withUnsafeMutableBufferPointer { rows in
                optimizer.step(&sae.weights, gradients: gradients, pool: workspace.pool,
                               encoderTranspose: (rows.baseAddress!, H))
            }
            workspace.decoderRows = rows
            decoderRowsCurrent = true
        } else {
            optimizer.step(&sae.weights, gradients: gradients, pool: workspace.pool, zeroDecoderRows: zeroDecoderRows)
        }
        if config.decoderUnitNorm { normalizeDecoderRows() }
        workspace.clock?.lap(.adam)

        if workspace.lastStepWasSparse { sparseStepCount += 1 }
        state.stepCount = nextStep
        state.tokenCount += B
        state.epochTokenCount += B
        recordFiring(rowCount: B)
    }

    /// Copies the paired rows `[x | y]` of the batch buffer into `transcoderInput` and
    /// `transcoderTarget` (the kernels want each operand contiguous, (B, dIn)).
    private func splitPairedBatch(rowCount B: Int) {
        let C = config.dIn
        if transcoderInput.count < config.batchSize * C {
            transcoderInput = [Float](repeating: 0, count: config.batchSize * C)
            transcoderTarget = [Float](repeating: 0, count: config.batchSize * C)
        }
        batch.withUnsafeBufferPointer { paired in
            transcoderInput.withUnsafeMutableBufferPointer { x in
                transcoderTarget.withUnsafeMutableBufferPointer { y in
                    let paired = paired.baseAddress!, x = x.baseAddress!, y = y.baseAddress!
                    for b in 0..<B {
                        (x + b * C).update(from: paired + b * 2 * C, count: C)
                        (y + b * C).update(from: paired + b * 2 * C + C, count: C)
                    }
                }
            }
        }
    }

    private func recordFiring(rowCount B: Int) {
        let H = config.latentCount
        for j in 0..<H where workspace.firedRowCounts[j] > 0 {
            state.lastFiredTokenCount[j] = state.tokenCount
            state.windowFiredCounts[j] += Int(workspace.firedRowCounts[j])
        }
        state.windowTokenCount += B
        if state.windowTokenCount >= options.featureFrequencyWindowTokens {
            state.completedWindowFiredCounts = state.windowFiredCounts
            state.completedWindowTokenCount = state.windowTokenCount
            state.windowFiredCounts = [Int](repeating: 0, count: H)
            state.windowTokenCount = 0
        }
    }
}
