/// Everything that decides what an SAE training run computes. A run saves it beside its outputs;
/// decoding a JSON that omits a field takes the same default as `init(architecture:dIn:)`.
public struct SAEConfig: Codable, Equatable, Sendable {
    /// SAE family: "tied" (the seed's), "standard" (untied, SAELens), "topk", "batchtopk",
    /// "jumprelu", "gated" or "matryoshka".
    public var architecture: SAEArchitecture
    /// Width of one activation row (floats per token), e.g. 768 for GPT-2 small's residual stream.
    public var dIn: Int
    /// Latents per input dimension (dimensionless); the latent count is dIn × expansionFactor
    /// unless `dSAE` is set.
    public var expansionFactor: Int
    /// Latent count (features); nil means dIn × expansionFactor.
    public var dSAE: Int?
    /// TopK: latents kept per row; BatchTopK: latents kept per row on average, k·B per batch
    /// of B rows (count, 1...latentCount).
    public var k: Int
    /// λ, weight of the L1 term in loss = MSE + λ·L1 (dimensionless; docs/SAE.md gives the
    /// normalisation: MSE per element, L1 summed over latents and averaged over rows). Gated:
    /// the weight of Σ_j ReLU(π_gate)_j·‖W_dec[j]‖ averaged over rows (SAELens' default 1).
    public var l1Coefficient: Double
    /// Adam learning rate (parameter units per step).
    public var learningRate: Double
    /// Rows (tokens) per optimiser step; the last batch of an epoch may be shorter.
    public var batchSize: Int
    /// Passes over the training rows (count).
    public var epochs: Int
    /// Seed of the weight init (and of the in-memory source's shuffle); any 64-bit value.
    public var seed: UInt64
    /// Input scaling: "none" or "expected_average_only_in" (one constant, E‖x‖ = sqrt(dIn)).
    public var normalizeActivations: ActivationNormalization
    /// Rows read from the start of the data to estimate the normalisation constant (rows).
    public var normalizationEstimateRowCount: Int
    /// SAELens `apply_b_dec_to_input`: subtract b_dec from the input before encoding
    /// (default false for tied, true for standard and topk).
    public var applyBDecToInput: Bool
    /// Untied only: keep every decoder row at unit L2 norm (renormalised after each step, with
    /// the gradient component parallel to the row removed before the step).
    public var decoderUnitNorm: Bool
    /// Untied only: L2 norm of each decoder row at init (SAELens' default 0.1); rows start at
    /// norm 1 instead when `decoderUnitNorm` is on.
    public var decoderInitNorm: Double
    /// Adam β1, decay of the first-moment average (dimensionless, [0, 1)).
    public var adamBeta1: Double
    /// Adam β2, decay of the second-moment average (dimensionless, [0, 1)).
    public var adamBeta2: Double
    /// Adam ε, added to sqrt(v̂) in the denominator (gradient units).
    public var adamEpsilon: Double
    /// JumpReLU: weight λ of the sparsity term (SAELens `l0_coefficient`, default 1).
    public var l0Coefficient: Double
    /// JumpReLU: the sparsity term, "step" (L0, SAELens' default) or "tanh".
    public var jumpReLUSparsityLoss: JumpReLUSparsityLoss
    /// JumpReLU: width ε of the rectangle kernel of the threshold's straight-through estimator
    /// (pre-activation units; SAELens `jumprelu_bandwidth`, default 0.05).
    public var jumpReLUBandwidth: Double
    /// JumpReLU: every θ_j at init (pre-activation units; SAELens `jumprelu_init_threshold`, 0.01).
    public var jumpReLUInitialThreshold: Double
    /// JumpReLU, tanh loss: c in tanh(c · f · ‖W_dec[j]‖) (SAELens `jumprelu_tanh_scale`, 4).
    public var jumpReLUTanhScale: Double
    /// BatchTopK: weight of each batch's smallest kept activation in the running inference
    /// threshold θ ← (1 − r)·θ + r·min (SAELens `topk_threshold_lr`, default 0.01).
    public var topkThresholdLearningRate: Double
    /// TopK family: weight α of the AuxK dead-latent loss (Gao et al. 2024); 0 (the default)
    /// turns it off. SAELens' default is 1, the paper's 1/32. Dead = no firing in the last
    /// `SAETrainerOptions.deadFeatureWindowTokens` rows.
    public var auxKCoefficient: Double
    /// AuxK: dead latents each row reconstructs with (count); nil means d_in / 2 (SAELens and
    /// the paper's heuristic).
    public var auxKLatentCount: Int?
    /// Learning-rate warm-up and decay, sparsity-coefficient warm-up, k annealing.
    public var schedule: TrainingSchedule
    /// Matryoshka: the nested prefix widths (latent counts, strictly increasing), each prefix
    /// of latents reconstructing the input on its own (SAELens `matryoshka_widths`). The full
    /// width is appended when the last is smaller, as SAELens does; nil for the others.
    public var matryoshkaWidths: [Int]?
    /// L1 SAEs (tied, standard, gated): after every this many steps, re-initialise the latents
    /// that fired on none of the last `SAETrainerOptions.deadFeatureWindowTokens` rows from
    /// high-loss rows of the batch (Anthropic 2023; `SAETrainer+Resampling.swift`); nil (the
    /// default) never resamples (steps, >= 1).
    public var resampleEverySteps: Int?
    /// Where b_dec starts: "zeros" (default), "mean" or "geometric_median" of the first
    /// `bDecInitRowCount` training rows (SAELens ≤ 5's `b_dec_init_method`).
    public var bDecInit: DecoderBiasInit
    /// Rows sampled from the start of the data for `bDecInit` (rows).
    public var bDecInitRowCount: Int
    /// Set to train a transcoder (input column → `targetColumn`, optional skip connection;
    /// `TranscoderOptions`); nil (the default) trains an SAE on one column.
    public var transcoder: TranscoderOptions?

    /// The seed's hyperparameters, with the defaults the architecture implies
    /// (λ = 0 for topk, apply_b_dec_to_input = false for tied).
    public init(architecture: SAEArchitecture = .tied, dIn: Int) {
        self.architecture = architecture
        self.dIn = dIn
        self.expansionFactor = 8
        self.dSAE = nil
        self.k = 32
        self.l1Coefficient = architecture.defaultL1Coefficient
        self.learningRate = 1e-3
        self.batchSize = 512
        self.epochs = 100
        self.seed = 0
        self.normalizeActivations = .none
        self.normalizationEstimateRowCount = 65_536
        self.applyBDecToInput = architecture.defaultApplyBDecToInput
        self.decoderUnitNorm = false
        self.decoderInitNorm = 0.1
        self.adamBeta1 = 0.9
        self.adamBeta2 = 0.999
        self.adamEpsilon = 1e-8
        self.l0Coefficient = 1
        self.jumpReLUSparsityLoss = .step
        self.jumpReLUBandwidth = 0.05
        self.jumpReLUInitialThreshold = 0.01
        self.jumpReLUTanhScale = 4
        self.topkThresholdLearningRate = 0.01
        self.auxKCoefficient = 0
        self.auxKLatentCount = nil
        self.schedule = TrainingSchedule()
        self.matryoshkaWidths = nil
        self.resampleEverySteps = nil
        self.bDecInit = .zeros
        self.bDecInitRowCount = 16_384
        self.transcoder = nil
    }

    /// The matryoshka levels as trained: `matryoshkaWidths` with the latent count appended when
    /// it does not end there (SAELens' `_validate_matryoshka_config`); empty for the others.
    public var resolvedMatryoshkaWidths: [Int] {
        guard architecture == .matryoshka, var widths = matryoshkaWidths else { return [] }
        if widths.last != latentCount { widths.append(latentCount) }
        return widths
    }

    /// k_aux of the AuxK loss.
    public var resolvedAuxKLatentCount: Int { auxKLatentCount ?? max(1, dIn / 2) }

    /// Floats per row the training feed gives: dIn, or 2·dIn for a transcoder, whose rows are
    /// the input and target columns' rows side by side, `[x | y]`.
    public var feedRowWidth: Int { transcoder == nil ? dIn : 2 * dIn }

    /// Number of SAE latents (features).
    public var latentCount: Int { dSAE ?? dIn * expansionFactor }

    /// Throws `SAEConfigError` naming the first field that is out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ expected: String) throws {
            if !ok { throw SAEConfigError(field: field, value: "\(value)", expected: expected) }
        }
        try check(dIn > 0, "dIn", dIn, "a positive row width")
        try check(expansionFactor > 0, "expansionFactor", expansionFactor, "a positive integer")
        if let dSAE { try check(dSAE > 0, "dSAE", dSAE, "a positive latent count") }
        if architecture.usesK {
            try check(k >= 1 && k <= latentCount, "k", k, "1...\(latentCount) (the latent count)")
        }
        try check(l1Coefficient.isFinite && l1Coefficient >= 0, "l1Coefficient", l1Coefficient,
                  "a finite value >= 0")
        try check(learningRate.isFinite && learningRate > 0, "learningRate", learningRate,
                  "a finite value > 0")
        try check(batchSize > 0, "batchSize", batchSize, "a positive row count")
        try check(epochs > 0, "epochs", epochs, "a positive count")
        try check(normalizationEstimateRowCount > 0, "normalizationEstimateRowCount",
                  normalizationEstimateRowCount, "a positive row count")
        try check(!decoderUnitNorm || !architecture.isTied, "decoderUnitNorm", decoderUnitNorm,
                  "false for the tied SAE (its decoder is the encoder weight)")
        try check(decoderInitNorm.isFinite && decoderInitNorm > 0, "decoderInitNorm",
                  decoderInitNorm, "a finite value > 0")
        try check(adamBeta1 >= 0 && adamBeta1 < 1, "adamBeta1", adamBeta1, "a value in [0, 1)")
        try check(adamBeta2 >= 0 && adamBeta2 < 1, "adamBeta2", adamBeta2, "a value in [0, 1)")
        try check(adamEpsilon.isFinite && adamEpsilon > 0, "adamEpsilon", adamEpsilon,
                  "a finite value > 0")
        try check(l0Coefficient.isFinite && l0Coefficient >= 0, "l0Coefficient", l0Coefficient,
                  "a finite value >= 0")
        try check(jumpReLUBandwidth.isFinite && jumpReLUBandwidth > 0, "jumpReLUBandwidth",
                  jumpReLUBandwidth, "a finite value > 0")
        try check(jumpReLUInitialThreshold.isFinite && jumpReLUInitialThreshold >= 0,
                  "jumpReLUInitialThreshold", jumpReLUInitialThreshold, "a finite value >= 0")
        try check(jumpReLUTanhScale.isFinite && jumpReLUTanhScale > 0, "jumpReLUTanhScale",
                  jumpReLUTanhScale, "a finite value > 0")
        try check(auxKCoefficient.isFinite && auxKCoefficient >= 0, "auxKCoefficient", auxKCoefficient,
                  "a finite value >= 0")
        try check(auxKCoefficient == 0 || architecture.usesK, "auxKCoefficient", auxKCoefficient,
                  "0 unless the architecture is topk or batchtopk")
        try schedule.validate(k: k, latentCount: latentCount, usesK: architecture.usesK)
        if let auxKLatentCount {
            try check(auxKLatentCount >= 1, "auxKLatentCount", auxKLatentCount, "a positive latent count")
        }
        if architecture == .matryoshka {
            let widths = matryoshkaWidths ?? []
            let increasing = zip(widths, widths.dropFirst()).allSatisfy { $0 < $1 }
            try check(!widths.isEmpty && widths.allSatisfy { $0 > 0 } && increasing && widths.last! <= latentCount,
                      "matryoshkaWidths", widths, "strictly increasing positive prefix widths up to \(latentCount) (the latent count)")
        } else {
            try check(matryoshkaWidths == nil, "matryoshkaWidths", matryoshkaWidths ?? [],
                      "nil unless the architecture is matryoshka")
        }
        if let resampleEverySteps {
            try check(resampleEverySteps >= 1, "resampleEverySteps", resampleEverySteps, "a positive step count")
            try check([.tied, .standard, .gated].contains(architecture), "resampleEverySteps", resampleEverySteps,
                      "nil unless the architecture is tied, standard or gated (the L1 SAEs; the TopK family has AuxK)")
        }
        try check(bDecInitRowCount > 0, "bDecInitRowCount", bDecInitRowCount, "a positive row count")
        if let transcoder {
            // The transcoder step (SparseAutoencoder+Transcoder) covers the ReLU+L1 and TopK
            // activations and nothing that reads the input as the reconstruction target.
            try check([.standard, .topk].contains(architecture), "architecture", architecture.rawValue,
                      "standard (ReLU + L1) or topk for a transcoder")
            try check(!applyBDecToInput, "applyBDecToInput", applyBDecToInput,
                      "false for a transcoder (b_dec lives in the output space; SAELens refuses it too)")
            try check(normalizeActivations == .none, "normalizeActivations", normalizeActivations.rawValue,
                      "none for a transcoder (per-column scales are not implemented yet)")
            try check(bDecInit == .zeros, "bDecInit", bDecInit.rawValue, "zeros for a transcoder")
            try check(resampleEverySteps == nil, "resampleEverySteps", resampleEverySteps ?? 0, "nil for a transcoder")
            try check(auxKCoefficient == 0, "auxKCoefficient", auxKCoefficient, "0 for a transcoder")
            try check(!transcoder.targetColumn.isEmpty, "transcoder.targetColumn", "", "a column name")
        }
        try check(topkThresholdLearningRate >= 0 && topkThresholdLearningRate <= 1,
                  "topkThresholdLearningRate", topkThresholdLearningRate, "a value in [0, 1]")
    }

    private enum CodingKeys: String, CodingKey {
        case architecture, dIn, expansionFactor, dSAE, k, l1Coefficient, learningRate, batchSize
        case epochs, seed, normalizeActivations, normalizationEstimateRowCount, applyBDecToInput
        case decoderUnitNorm, decoderInitNorm, adamBeta1, adamBeta2, adamEpsilon
        case l0Coefficient, jumpReLUSparsityLoss, jumpReLUBandwidth, jumpReLUInitialThreshold
        case jumpReLUTanhScale, topkThresholdLearningRate, auxKCoefficient, auxKLatentCount, schedule
        case matryoshkaWidths, resampleEverySteps, bDecInit, bDecInitRowCount, transcoder
    }

    /// Decodes a config, filling fields absent from older run files with their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let architecture = try c.decodeIfPresent(SAEArchitecture.self, forKey: .architecture) ?? .tied
        self.init(architecture: architecture, dIn: try c.decode(Int.self, forKey: .dIn))
        expansionFactor = try c.decodeIfPresent(Int.self, forKey: .expansionFactor) ?? expansionFactor
        dSAE = try c.decodeIfPresent(Int.self, forKey: .dSAE)
        k = try c.decodeIfPresent(Int.self, forKey: .k) ?? k
        l1Coefficient = try c.decodeIfPresent(Double.self, forKey: .l1Coefficient) ?? l1Coefficient
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? learningRate
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        normalizeActivations = try c.decodeIfPresent(ActivationNormalization.self,
                                                     forKey: .normalizeActivations) ?? .none
        normalizationEstimateRowCount = try c.decodeIfPresent(
            Int.self, forKey: .normalizationEstimateRowCount) ?? normalizationEstimateRowCount
        applyBDecToInput = try c.decodeIfPresent(Bool.self, forKey: .applyBDecToInput)
            ?? applyBDecToInput
        decoderUnitNorm = try c.decodeIfPresent(Bool.self, forKey: .decoderUnitNorm) ?? false
        decoderInitNorm = try c.decodeIfPresent(Double.self, forKey: .decoderInitNorm)
            ?? decoderInitNorm
        adamBeta1 = try c.decodeIfPresent(Double.self, forKey: .adamBeta1) ?? adamBeta1
        adamBeta2 = try c.decodeIfPresent(Double.self, forKey: .adamBeta2) ?? adamBeta2
        adamEpsilon = try c.decodeIfPresent(Double.self, forKey: .adamEpsilon) ?? adamEpsilon
        l0Coefficient = try c.decodeIfPresent(Double.self, forKey: .l0Coefficient) ?? l0Coefficient
        jumpReLUSparsityLoss = try c.decodeIfPresent(JumpReLUSparsityLoss.self, forKey: .jumpReLUSparsityLoss)
            ?? jumpReLUSparsityLoss
        jumpReLUBandwidth = try c.decodeIfPresent(Double.self, forKey: .jumpReLUBandwidth) ?? jumpReLUBandwidth
        jumpReLUInitialThreshold = try c.decodeIfPresent(Double.self, forKey: .jumpReLUInitialThreshold)
            ?? jumpReLUInitialThreshold
        jumpReLUTanhScale = try c.decodeIfPresent(Double.self, forKey: .jumpReLUTanhScale) ?? jumpReLUTanhScale
        topkThresholdLearningRate = try c.decodeIfPresent(Double.self, forKey: .topkThresholdLearningRate)
            ?? topkThresholdLearningRate
        auxKCoefficient = try c.decodeIfPresent(Double.self, forKey: .auxKCoefficient) ?? auxKCoefficient
        auxKLatentCount = try c.decodeIfPresent(Int.self, forKey: .auxKLatentCount)
        schedule = try c.decodeIfPresent(TrainingSchedule.self, forKey: .schedule) ?? schedule
        matryoshkaWidths = try c.decodeIfPresent([Int].self, forKey: .matryoshkaWidths)
        resampleEverySteps = try c.decodeIfPresent(Int.self, forKey: .resampleEverySteps)
        bDecInit = try c.decodeIfPresent(DecoderBiasInit.self, forKey: .bDecInit) ?? bDecInit
        bDecInitRowCount = try c.decodeIfPresent(Int.self, forKey: .bDecInitRowCount) ?? bDecInitRowCount
        transcoder = try c.decodeIfPresent(TranscoderOptions.self, forKey: .transcoder)
    }
}
