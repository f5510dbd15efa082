/// The phases of one training step, in the order they run, for `SAETrainer.phaseSeconds`
/// (where a step's time goes; benchmarks/train and benchmarks/sparse print it).
public enum SAEStepPhase: Int, CaseIterable, Sendable {
    /// The batch's finiteness check and activation scaling.
    case input
    /// x − b_dec (when applied), b_enc broadcast and the encoder sgemm.
    case encoderProduct
    /// ReLU or TopK, counting each row's open latents.
    case activation
    /// ‖W_dec[j]‖ per latent (standard only).
    case decoderNorms
    /// Sparse path only: the CSR of f, the per-latent tallies, the tied SAE's W_encᵀ copy.
    case gather
    /// x̂ − x (dense: decoder sgemm; sparse: the row kernels, which also give dL/dpre).
    case decode
    /// dL/dpre (dense: sgemm, then mask, L1, tallies and db_enc in one sweep; sparse: db_enc).
    case latentGradients
    /// dW_enc and dW_dec.
    case weightGradients
    /// db_dec and the loss terms.
    case biasGradients
    /// The gradients' finiteness check (and the unit-norm projection when on).
    case gradientCheck
    /// Adam (and the unit-norm renormalisation when on).
    case adam
    /// Firing history and the metrics window.
    case bookkeeping

    /// A short name for tables.
    public var name: String {
        switch self {
        case .input: return "input"
        case .encoderProduct: return "encoder_sgemm"
        case .activation: return "activation"
        case .decoderNorms: return "decoder_norms"
        case .gather: return "gather"
        case .decode: return "decode"
        case .latentGradients: return "latent_grads"
        case .weightGradients: return "weight_grads"
        case .biasGradients: return "bias_grads_loss"
        case .gradientCheck: return "grad_check"
        case .adam: return "adam"
        case .bookkeeping: return "bookkeeping"
        }
    }
}
