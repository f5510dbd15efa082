/// The monosemanticity of one kind of unit (SAE features, MLP neurons or residual
/// dimensions): per-unit values and their distributions.
public struct UnitKindMonosemanticity: Codable, Sendable, Equatable {
    /// What the units are: "SAE features", "MLP neurons", "residual dimensions".
    public var kind: String
    /// The activation they are read from (a hook, or "SAE").
    public var source: String
    /// How a unit's activation a ≥ 0 is formed: "f", "max(x, 0)" or "|x|".
    public var activation: String
    /// Units of this kind.
    public var unitCount: Int
    /// Units with at least k firing rows, the ones measured.
    public var measuredUnitCount: Int
    /// Rows the units were observed on.
    public var rowCount: Int
    /// Measure name → distribution over the measured units.
    public var summaries: [String: DistributionSummary]
    /// Per-unit values.
    public var units: UnitMeasures

    /// The distribution of `measure`, if any unit was measured.
    public func summary(_ measure: MonosemanticityMeasure) -> DistributionSummary? {
        summaries[measure.rawValue]
    }
}
