extension SAETrainer {
    /// The next step's learning rate (Adam) and TopK k from `config.schedule` (0-based step =
    /// steps taken so far, so a resumed run continues the schedule where it stopped).
    func applySchedule() {
        let schedule = config.schedule
        guard !schedule.isConstant else { return }
        let t = state.stepCount
        optimizer.learningRate = schedule.learningRate(step: t, base: config.learningRate)
        if config.architecture.usesK {
            let k = schedule.k(step: t, final: config.k)
            if sae.k != k { sae.k = k }
        }
    }

    /// λ of the L1 term at the next step (warmed up by the schedule).
    var scheduledL1Coefficient: Double {
        config.schedule.sparsityCoefficient(step: state.stepCount, final: config.l1Coefficient)
    }

    /// jumprelu's terms at the next step, its L0 coefficient warmed up by the schedule.
    var scheduledJumpReLUTerms: JumpReLUTerms {
        var terms = JumpReLUTerms(config: config)
        terms.coefficient = config.schedule.sparsityCoefficient(step: state.stepCount, final: config.l0Coefficient)
        return terms
    }

    /// This step's AuxK terms, or nil when AuxK is off. A latent is dead when it fired on none
    /// of the last `deadFeatureWindowTokens` rows (none are dead before that many rows were
    /// seen, as SAELens counts forward passes since firing from the start).
    func auxKTerms() -> AuxKTerms? {
        guard config.auxKCoefficient > 0 else { return nil }
        let window = options.deadFeatureWindowTokens
        let dead = auxKDeadMaskOverride ?? state.lastFiredTokenCount.map { state.tokenCount - $0 >= window }
        return AuxKTerms(coefficient: config.auxKCoefficient, latentCount: config.resolvedAuxKLatentCount, deadMask: dead)
    }

    /// SAELens' JumpReLU training clamps every θ_j to ≥ 0 before each forward pass, so Adam
    /// cannot push a threshold below zero (where it would stop acting).
    func clampThresholds() {
        guard sae.weights.threshold.contains(where: { $0 < 0 }) else { return }
        for j in sae.weights.threshold.indices where sae.weights.threshold[j] < 0 { sae.weights.threshold[j] = 0 }
    }

    /// BatchTopK: θ ← (1 − r)·θ + r·(the batch's smallest kept activation), in Double, when
    /// anything was kept (SAELens `update_topk_threshold`); the SAE's threshold follows.
    func updateBatchTopKThreshold(openCount: Int) {
        guard openCount > 0 else { return }
        let r = config.topkThresholdLearningRate
        let theta = (1 - r) * (state.batchTopKThreshold ?? 0) + r * Double(workspace.batchTopKMinimum)
        state.batchTopKThreshold = theta
        let value = Float(theta)
        for j in sae.weights.threshold.indices { sae.weights.threshold[j] = value }
    }
}
