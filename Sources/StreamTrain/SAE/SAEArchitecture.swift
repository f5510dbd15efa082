/// The sparse autoencoder families saestore trains. docs/SAE.md gives each one's exact maths.
public enum SAEArchitecture: String, Codable, Sendable, CaseIterable {
    /// The seed's SAE: encoder Linear(d_in, d_sae) + ReLU, decoder = the encoder weight
    /// transposed with its own bias. Exported to SAELens as "standard" with W_dec = W_encᵀ.
    case tied
    /// SAELens "standard": untied W_enc, W_dec, b_enc, b_dec, ReLU.
    case standard
    /// SAELens "topk": untied like standard; the k largest pre-activations of a row are kept
    /// (then ReLU'd) and the rest are zero.
    case topk
    /// SAELens "batchtopk" (Bussmann et al. 2024): in training the k·B largest ReLU'd
    /// pre-activations of the whole batch are kept, so rows share a budget of k on average;
    /// a threshold θ (an average of each batch's smallest kept value) replaces the selection at
    /// inference, and the SAE is exported as SAELens "jumprelu" with θ for every latent.
    case batchtopk
    /// SAELens "jumprelu" (Rajamanoharan et al. 2024): f = pre·[pre > θ_j] with a trained
    /// threshold per latent, its gradient through a straight-through estimator of kernel width
    /// `jumpReLUBandwidth`, and an L0 ("step") or tanh sparsity loss.
    case jumprelu
    /// SAELens "gated" (Rajamanoharan et al. 2024): a gate path π_gate = x·W_enc + b_gate
    /// decides which latents open, a magnitude path π_mag = x·(W_enc ⊙ exp(r_mag)) + b_mag
    /// (the same weight, rescaled per latent) sets their value, f = [π_gate > 0]·ReLU(π_mag);
    /// trained with an L1 on ReLU(π_gate)·‖W_dec[j]‖ and an auxiliary reconstruction from
    /// ReLU(π_gate). `SAEWeights.bEnc` holds b_gate; `rMag`, `bMag` the rest.
    case gated
    /// SAELens "matryoshka_batchtopk" (Bussmann et al. 2025; Nabeshima 2025): BatchTopK whose
    /// nested prefixes of latents (`SAEConfig.matryoshkaWidths`) each reconstruct the input too;
    /// the loss adds every inner prefix's reconstruction term to BatchTopK's. Inference and the
    /// export are BatchTopK's (SAELens "jumprelu" with the inference threshold).
    case matryoshka

    /// Whether the decoder reuses the encoder weight (no separate W_dec tensor).
    public var isTied: Bool { self == .tied }

    /// Whether training uses SAELens' standard sparsity penalty, which weights each latent's |f|
    /// by its decoder row's L2 norm (otherwise the L1 term could be shrunk for free by scaling
    /// W_enc down and W_dec up).
    public var weightsL1ByDecoderNorm: Bool { self == .standard }

    /// `apply_b_dec_to_input` when the config does not say: the seed's tied SAE does not centre
    /// its input, SAELens' untied SAEs do.
    public var defaultApplyBDecToInput: Bool { self != .tied }

    /// λ when the config does not say: the TopK family controls sparsity through k and
    /// JumpReLU through its own L0 coefficient, so no L1 by default.
    public var defaultL1Coefficient: Double {
        switch self {
        case .tied, .standard: return 1e-3
        case .gated: return 1  // SAELens GatedTrainingSAEConfig.l1_coefficient
        case .topk, .batchtopk, .jumprelu, .matryoshka: return 0
        }
    }

    /// Whether the SAE has a threshold per latent (`SAEWeights.threshold`): trained for
    /// jumprelu, BatchTopK's inference threshold for batchtopk.
    public var hasThreshold: Bool { usesBatchTopK || self == .jumprelu }

    /// Whether training selects the k·B largest activations of the batch and keeps BatchTopK's
    /// running inference threshold (batchtopk, and matryoshka, which is BatchTopK underneath).
    public var usesBatchTopK: Bool { self == .batchtopk || self == .matryoshka }

    /// Whether `k` sets the sparsity (topk: per row; batchtopk, matryoshka: per row on average).
    public var usesK: Bool { self == .topk || usesBatchTopK }

    /// Whether f = max(pre, 0) latent by latent (tied, standard): a scan that only reads f > 0
    /// may then read the pre-activations instead.
    public var isReLU: Bool { self == .tied || self == .standard }

    /// Whether the reconstruction term is SAELens 6's, Σ_c (x̂ − x)² averaged over rows, rather
    /// than the seed's mean over rows and elements. The architectures added after the seed
    /// use SAELens' so that their sparsity coefficients mean what they mean there; the metrics'
    /// `mse` stays the per-element mean for every architecture.
    public var sumsSquaredErrorOverInput: Bool { usesBatchTopK || self == .jumprelu || self == .gated }

    /// Whether the SAE has the gated SAE's extra tensors (`SAEWeights.rMag`, `bMag`).
    public var isGated: Bool { self == .gated }
}
