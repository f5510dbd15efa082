/// Scratch buffers sized for one maximum batch; a trainer keeps one and reuses it every step,
/// so a step allocates nothing.
struct SAEWorkspace {
    /// Most rows a batch may have.
    let maxRowCount: Int
    /// x − b_dec, (B, dIn); used only when the SAE applies b_dec to its input.
    var centered: [Float]
    /// Pre-activations, then the latent activations f in place, (B, dSAE).
    var acts: [Float]
    /// dL/df, then dL/dpre in place, (B, dSAE).
    var actGrads: [Float]
    /// x̂, then x̂ − x in place, (B, dIn).
    var residuals: [Float]
    /// Σ_c (x̂ − x)² per row of the batch, (B).
    var rowSquares: [Double]
    /// ‖W_dec[j]‖ per latent (standard only), (dSAE).
    var decoderRowNorms: [Float]
    /// Σ_b f[b, j] over the batch, (dSAE).
    var latentActSums: [Double]
    /// Rows of the batch in which latent j fired (f > 0), (dSAE).
    var firedRowCounts: [Int32]
    /// TopK's per-row heap of latent indices, k per pool thread.
    var topkHeap: [Int]
    /// TopK's kept values, k per pool thread.
    var topkValues: [Float]
    /// TopK's candidate latents of a row, dSAE per pool thread (topk only).
    var topkCandidates: [Int32]
    /// Open latents (f > 0) per row of the batch, (B).
    var rowOpenCounts: [Int32]
    /// Per-row entry cursors of the blocked decoder-side kernels, (B).
    var rowCursors: [Int32]
    /// The batch's open latents for the sparse kernels.
    var sparse: SparseLatents
    /// The tied SAE's decoder rows W_encᵀ, (dSAE, dIn); allocated by the first sparse step.
    var decoderRows: [Float] = []
    /// Set by the trainer just before a step when `decoderRows` already holds the current
    /// W_encᵀ (its Adam step wrote it, `Adam.updateTransposing`, and nothing has changed the
    /// weights since); the next gradient computation reads it once and clears it, so the flag
    /// never outlives the step it was set for.
    var decoderRowsMatchEncoder = false
    /// Set by a sparse step whose weight-gradient kernels found every value of dW_enc (and of
    /// the W_dec rows they wrote) finite while computing them: the trainer's gradient check
    /// then need not read those tensors again. The trainer clears it once it has used it.
    var weightGradientsKnownFinite = false
    /// One flag per pool part (the weight-gradient kernels' finiteness).
    var partFlags: [Int32]
    /// Per pool thread, one tile of `SparseKernels.encoderWeightGradients` rows, (threads, 16, dIn).
    var encoderTileScratch: [Float]
    /// Whether the last `lossAndGradients` took the sparse path.
    var lastStepWasSparse = false
    /// Whether a sparse step writes the zero W_dec gradient rows of latents that fired nowhere.
    /// The trainer turns it off: its gradient check and Adam never read those rows
    /// (`firedRowCounts[j] == 0` marks them), so they may hold stale values.
    var zeroesUnfiredDecoderRows = true
    /// Whether a trainer owns this workspace: batchtopk then selects over the batch (else it
    /// applies its inference threshold) and jumprelu keeps its pre-activations.
    var training = false
    /// jumprelu in training: the pre-activations of the batch, (B, dSAE); allocated when first used.
    var preActs: [Float] = []
    /// BatchTopK in training: the batch's positive values for the selection, (B·dSAE).
    var batchTopKScratch: [Float] = []
    /// BatchTopK in training: the smallest activation the last selection kept (0 if none).
    var batchTopKMinimum: Float = 0
    /// Whether `encodeLatents` copies the pre-activations to `preActs` (jumprelu in training,
    /// or a step with AuxK).
    var keepsPreActivations: Bool { training && (thresholdGradients || auxKActive) }
    /// Set by `lossAndGradients` for a step that computes AuxK.
    var auxKActive = false
    /// AuxK: per latent, 1 when the last step gave its W_dec row a gradient (dead latents
    /// chosen for some row), (dSAE); the trainer's Adam and gradient check then read that row.
    var auxKRowMarks: [Int32] = []
    /// AuxK: the per-pool-thread heaps and candidates of the per-row selection over dead latents.
    var auxKHeap: [Int] = []
    var auxKCandidates: [Int32] = []
    var auxKRow: [Float] = []
    /// JumpReLU, tanh loss: per latent Σ_b f·sech²(c·f·‖W_dec[j]‖) of the last step, (dSAE).
    var tanhDecoderSums: [Double] = []
    /// JumpReLU, tanh loss: Σ over the batch of tanh(c·f·‖W_dec[j]‖) of the last step.
    var tanhLossSum = 0.0
    /// Gated: ReLU(π_gate) of the batch, (B, dSAE) (the L1 term's and the auxiliary
    /// reconstruction's activations); `preActs` holds the shared product z = inp·W_enc.
    var gateActs: [Float] = []
    /// Gated in training: dL/dReLU(π_gate), then dL/dz in place, (B, dSAE).
    var gateGrads: [Float] = []
    /// Gated in training: the auxiliary reconstruction ReLU(π_gate)·W_dec + b_dec, then minus x
    /// in place, (B, dIn).
    var auxResiduals: [Float] = []
    /// Gated in training: Σ_c (x̃ − x)² per row of the auxiliary reconstruction, (B).
    var auxRowSquares: [Double] = []
    /// Gated: exp(r_mag) per latent, the magnitude path's scale of the shared product, (dSAE).
    var magnitudeScales: [Float] = []
    /// Gated in training: per latent Σ_b ReLU(π_gate) (Double, the L1 term), (dSAE).
    var gateActSums: [Double] = []
    /// Gated in training: per latent Σ_b dL/dz, b_dec's share through the centred input, (dSAE).
    var productGradientSums: [Float] = []
    /// Gated in training: Σ_b (x̃ − x), the auxiliary term's share of db_dec, (dIn).
    var auxColumnSums: [Float] = []
    /// Matryoshka in training: per inner level x̂_m − x, then the suffix sums R_g in place,
    /// (levels, B, dIn); allocated by the first step.
    var matryoshkaResiduals: [Float] = []
    /// Matryoshka in training: dL/dpre of the inner levels for the prefix latents, (B, widest inner width).
    var matryoshkaLatentGrads: [Float] = []
    /// Matryoshka in training: the inner levels' share of db_enc, zero past the widest prefix, (dSAE).
    var matryoshkaEncoderBiasGrads: [Float] = []
    /// Set for jumprelu SAEs: the threshold is trained.
    var thresholdGradients = false
    /// Threads for the SAE's own kernels (shared by copies of this workspace).
    let pool: WorkerPool
    /// Times the phases of a step when set (`SAETrainer.measuresPhases`).
    var clock: PhaseClock?

    /// Buffers for batches of up to `maxRowCount` rows; `threadCount` parts per kernel.
    /// `reservingSparse: false` starts the sparse entry buffers empty (they grow when first used):
    /// for encoders that may never run a sparse kernel.
    init(sae: SparseAutoencoder, maxRowCount: Int, threadCount: Int = WorkerPool.defaultThreadCount,
         reservingSparse: Bool = true) {
        precondition(maxRowCount > 0, "a workspace needs room for at least one row")
        let C = sae.dIn, H = sae.dSAE
        self.maxRowCount = maxRowCount
        pool = WorkerPool(threadCount: threadCount)
        encoderTileScratch = [Float](repeating: 0, count: threadCount * SparseKernels.encoderTileLatentCount * C)
        partFlags = [Int32](repeating: 0, count: threadCount)
        rowOpenCounts = [Int32](repeating: 0, count: maxRowCount)
        rowCursors = [Int32](repeating: 0, count: maxRowCount)
        // Sized for the densest batch `auto` sends to the sparse kernels; forced sparse on
        // denser batches grows it once.
        sparse = SparseLatents(maxRowCount: maxRowCount, latentCount: H,
                               initialCapacity: reservingSparse
                                   ? Int(Double(maxRowCount * H) * SAEKernelMode.autoDensityThreshold) : 0)
        centered = sae.applyBDecToInput ? [Float](repeating: 0, count: maxRowCount * C) : []
        acts = [Float](repeating: 0, count: maxRowCount * H)
        actGrads = [Float](repeating: 0, count: maxRowCount * H)
        residuals = [Float](repeating: 0, count: maxRowCount * C)
        rowSquares = [Double](repeating: 0, count: maxRowCount)
        decoderRowNorms = [Float](repeating: 1, count: H)
        latentActSums = [Double](repeating: 0, count: H)
        firedRowCounts = [Int32](repeating: 0, count: H)
        topkHeap = [Int](repeating: 0, count: max(sae.k, 1) * threadCount)
        topkValues = [Float](repeating: 0, count: max(sae.k, 1) * threadCount)
        topkCandidates = [Int32](repeating: 0, count: sae.architecture == .topk ? H * threadCount : 0)
        thresholdGradients = sae.architecture == .jumprelu
        if sae.architecture == .gated {
            preActs = [Float](repeating: 0, count: maxRowCount * H)
            gateActs = [Float](repeating: 0, count: maxRowCount * H)
            magnitudeScales = [Float](repeating: 1, count: H)
        }
    }

    /// The gated SAE's training buffers, allocated by its first gradient step (an encoder
    /// that only scans never needs them).
    mutating func reserveGatedTraining(dIn C: Int, dSAE H: Int) {
        guard gateGrads.count != maxRowCount * H || auxResiduals.count != maxRowCount * C else { return }
        gateGrads = [Float](repeating: 0, count: maxRowCount * H)
        auxResiduals = [Float](repeating: 0, count: maxRowCount * C)
        auxRowSquares = [Double](repeating: 0, count: maxRowCount)
        gateActSums = [Double](repeating: 0, count: H)
        productGradientSums = [Float](repeating: 0, count: H)
        auxColumnSums = [Float](repeating: 0, count: C)
    }
}
