import shutil
root = '/work/wt-gated2/'
def edit(path, pairs):
    s = open(root + path).read()
    for a, b in pairs:
        assert a in s, (path, a)
        s = s.replace(a, b, 1)
    open(root + path, 'w').write(s)

shutil.copy('/tmp/resample/SAETrainer+Resampling.swift', root + 'Sources/StreamTrain/Training/SAETrainer+Resampling.swift')
shutil.copy('/tmp/resample/ResamplingTests.swift', root + 'Tests/StreamTrainTests/ResamplingTests.swift')

edit('Sources/StreamTrain/SAE/SAEConfig.swift', [
('''    /// Learning-rate warm-up and decay, sparsity-coefficient warm-up, k annealing.
    public var schedule: TrainingSchedule
''', '''    /// Learning-rate warm-up and decay, sparsity-coefficient warm-up, k annealing.
    public var schedule: TrainingSchedule
    /// L1 SAEs (tied, standard, gated): after every this many steps, re-initialise the latents
    /// that fired on none of the last `SAETrainerOptions.deadFeatureWindowTokens` rows from
    /// high-loss rows of the batch (Anthropic 2023; `SAETrainer+Resampling.swift`); nil (the
    /// default) never resamples (steps, >= 1).
    public var resampleEverySteps: Int?
'''),
('''        self.schedule = TrainingSchedule()
    }''', '''        self.schedule = TrainingSchedule()
        self.resampleEverySteps = nil
    }'''),
('''        try check(topkThresholdLearningRate >= 0 && topkThresholdLearningRate <= 1,''', '''        if let resampleEverySteps {
            try check(resampleEverySteps >= 1, "resampleEverySteps", resampleEverySteps, "a positive step count")
            try check([.tied, .standard, .gated].contains(architecture), "resampleEverySteps", resampleEverySteps,
                      "nil unless the architecture is tied, standard or gated (the L1 SAEs)")
        }
        try check(topkThresholdLearningRate >= 0 && topkThresholdLearningRate <= 1,'''),
('''auxKCoefficient, auxKLatentCount, schedule
''', '''auxKCoefficient, auxKLatentCount, schedule
        case resampleEverySteps
'''),
('''        schedule = try c.decodeIfPresent(TrainingSchedule.self, forKey: .schedule) ?? schedule
''', '''        schedule = try c.decodeIfPresent(TrainingSchedule.self, forKey: .schedule) ?? schedule
        resampleEverySteps = try c.decodeIfPresent(Int.self, forKey: .resampleEverySteps)
'''),
])
edit('Sources/StreamTrain/Training/TrainerState.swift', [
('''    public var batchTopKThreshold: Double?
''', '''    public var batchTopKThreshold: Double?
    /// Latents re-initialised by dead-latent resampling so far (nil: none, or resampling off).
    public var resampledLatentCount: Int?
'''),
])
edit('Sources/StreamTrain/Training/SAETrainer.swift', [
('''        window.add(x: batch, residuals: workspace.residuals, rowCount: B, dIn: config.dIn, losses: losses)
        workspace.clock?.lap(.bookkeeping)''', '''        window.add(x: batch, residuals: workspace.residuals, rowCount: B, dIn: config.dIn, losses: losses)
        if let every = config.resampleEverySteps, state.stepCount % every == 0 { resampleDeadLatents(rowCount: B) }
        workspace.clock?.lap(.bookkeeping)'''),
])
edit('Sources/StreamTrain/Distributed/SAETrainer+DataParallel.swift', [
('''        let ranks = collective.rankCount
''', '''        guard config.resampleEverySteps == nil else {
            throw DistributedError.badPartition(detail: "--resample-every draws from one process's batch; run it without --streams or mpirun")
        }
        let ranks = collective.rankCount
'''),
])
edit('Sources/saestore/Support/ArchitectureArguments.swift', [
('''    @Option(help: "Steps of the k annealing (with --k-start).")
    var kAnnealSteps = 0
''', '''    @Option(help: "Steps of the k annealing (with --k-start).")
    var kAnnealSteps = 0
    @Option(help: "tied/standard/gated: every STEPS steps, re-initialise latents dead over --dead-window-tokens rows from high-loss rows of the batch (Anthropic 2023; default off).")
    var resampleEvery: Int?
'''),
('''        if let auxk { config.auxKCoefficient = auxk }''', '''        if let resampleEvery {
            guard [.tied, .standard, .gated].contains(config.architecture) else {
                throw ValidationError("--resample-every applies to --arch tied, standard or gated only")
            }
            config.resampleEverySteps = resampleEvery
        }
        if let auxk { config.auxKCoefficient = auxk }'''),
])
edit('docs/SAE.md', [
('''* Dead-latent resampling (Anthropic 2023) is not implemented.
''', '''* Dead-latent resampling (Anthropic 2023): `--resample-every STEPS` (tied, standard, gated;
  off by default), below.

### Dead-latent resampling (`--resample-every STEPS`; `SAETrainer+Resampling.swift`)

After every `STEPS`-th step, each latent that fired on none of the last `--dead-window-tokens`
rows (default one epoch, at most 1 M; none count as dead before that many rows were seen) is
re-initialised as in Anthropic's "Towards Monosemanticity" (2023):

1. one row `b` of the step's batch per dead latent, drawn with probability ∝ `ℓ_b²`,
   `ℓ_b = Σ_c (x̂ − x)²` under the weights before the step (the paper's squared loss), from the
   trainer's seeded generator (checkpointed: a resumed run draws the same rows);
2. `u = x_b / ‖x_b‖` (the row as the SAE saw it, after the activation scale);
3. `W_dec[j] = u`, `W_enc[:, j] = u · 0.2 · mean ‖W_enc[:, i]‖` over the alive latents,
   `b_enc[j] = 0` (gated: also `b_mag[j] = r_mag[j] = 0`; tied: the decoder row is the scaled
   encoder column);
4. Adam's moments of those entries are set to 0.

The paper draws from 819,200 inputs; saestore draws from the step's batch, so resampling stays
a streaming step with no extra pass. The count is `resampledLatentCount` in the checkpoint's
trainer state. Data-parallel runs refuse it.
'''),
('''* `DenseKernelTests`: every pooled pass''', '''* `ResamplingTests`: a latent made dead (b_enc = −100) is resampled at the resample step (unit
  W_dec row parallel to one of the batch's rows, W_enc column at 0.2 × the alive mean norm,
  b_enc 0, its Adam moments 0) while every other latent and moment is bitwise a run without
  resampling; a run resumed from a checkpoint across resample steps ends bitwise equal to an
  uninterrupted one; resampling for topk is refused.
* `DenseKernelTests`: every pooled pass'''),
])
print("applied")
