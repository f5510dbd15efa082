/// The sparsity term of a JumpReLU SAE's loss, as SAELens' `jumprelu_sparsity_loss_mode`.
public enum JumpReLUSparsityLoss: String, Codable, Sendable, CaseIterable {
    /// DeepMind's L0: λ · mean over rows of Σ_j [pre_j > θ_j], its gradient reaching θ only,
    /// through the straight-through estimator (Rajamanoharan et al. 2024, Gemma Scope).
    case step
    /// Anthropic's: λ · mean over rows of Σ_j tanh(c · f_j · ‖W_dec[j]‖), c = `jumpReLUTanhScale`.
    case tanh
}
