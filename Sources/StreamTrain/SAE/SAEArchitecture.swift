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

    /// Whether the decoder reuses the encoder weight (no separate W_dec tensor).
    public var isTied: Bool { self == .tied }

    /// Whether training uses SAELens' standard sparsity penalty, which weights each latent's |f|
    /// by its decoder row's L2 norm (otherwise the L1 term could be shrunk for free by scaling
    /// W_enc down and W_dec up).
    public var weightsL1ByDecoderNorm: Bool { self == .standard }

    /// `apply_b_dec_to_input` when the config does not say: the seed's tied SAE does not centre
    /// its input, SAELens' untied SAEs do.
    public var defaultApplyBDecToInput: Bool { self != .tied }

    /// λ when the config does not say: TopK controls sparsity through k, so no L1 by default.
    public var defaultL1Coefficient: Double { self == .topk ? 0 : 1e-3 }
}
