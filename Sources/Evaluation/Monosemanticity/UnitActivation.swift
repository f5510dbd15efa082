/// How a unit's raw value becomes the activation a ≥ 0 the monosemanticity measures use.
enum UnitActivation: Sendable {
    /// The value as it is (SAE latents are ≥ 0 already).
    case identity
    /// max(x, 0) (MLP neurons: GELU's negative lobe is not the neuron firing).
    case positivePart
    /// |x| (residual dimensions, which carry information in both directions).
    case absolute

    init(_ residual: ResidualActivation) {
        self = residual == .absolute ? .absolute : .positivePart
    }

    var formula: String {
        switch self {
        case .identity: return "f"
        case .positivePart: return "max(x, 0)"
        case .absolute: return "|x|"
        }
    }

    @inline(__always)
    func apply(_ value: Float) -> Float {
        switch self {
        case .identity: return value
        case .positivePart: return max(value, 0)
        case .absolute: return abs(value)
        }
    }
}
