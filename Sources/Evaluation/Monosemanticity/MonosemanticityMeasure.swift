/// The monosemanticity measures of a unit (docs/EVALUATION.md). Each is computed from the
/// unit's activations a ≥ 0 over the evaluated rows.
public enum MonosemanticityMeasure: String, Codable, Sendable, CaseIterable {
    /// Of the unit's top-k rows (largest a, ties to the lower row), the share that are its most
    /// common token.
    case topKTokenShare = "top_k_token_share"
    /// The same for (previous token, token) pairs.
    case topKPairShare = "top_k_pair_share"
    /// Over the rows with a ≥ max(a)/2: the share of Σa on the most common token.
    case tokenMassShare = "half_max_token_mass_share"
    /// Over the same rows: the entropy (bits) of the tokens weighted by a.
    case tokenEntropyBits = "half_max_token_entropy_bits"
    /// Mass share for (previous token, token) pairs.
    case pairMassShare = "half_max_pair_mass_share"
    /// Entropy (bits) of the (previous token, token) pairs weighted by a.
    case pairEntropyBits = "half_max_pair_entropy_bits"

    /// A short label for tables.
    public func title(topK: Int) -> String {
        switch self {
        case .topKTokenShare: return "top-\(topK) same token"
        case .topKPairShare: return "top-\(topK) same (prev, token)"
        case .tokenMassShare: return "≥½max token mass share"
        case .tokenEntropyBits: return "≥½max token entropy (bits)"
        case .pairMassShare: return "≥½max pair mass share"
        case .pairEntropyBits: return "≥½max pair entropy (bits)"
        }
    }

    /// Whether a larger value means more monosemantic (entropies are the other way round).
    public var higherIsMoreSpecific: Bool {
        self != .tokenEntropyBits && self != .pairEntropyBits
    }
}
