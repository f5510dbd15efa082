/// Per-unit monosemanticity values of one kind of unit, as parallel arrays indexed by unit
/// (compact in JSON). A measure is nil (JSON null) for a unit with fewer than k firing rows.
public struct UnitMeasures: Codable, Sendable, Equatable {
    /// Rows on which the unit's activation was > 0.
    public var firingRowCount: [Int]
    /// Largest activation over the rows (0 for a unit that never fired).
    public var maxActivation: [Float]
    /// Rows with activation ≥ max/2.
    public var halfMaxRowCount: [Int]
    /// Measure name (`MonosemanticityMeasure.rawValue`) → per-unit value.
    public var values: [String: [Double?]]

    /// `unitCount` units that have not fired yet: counts and maxima 0, every measure nil.
    public init(unitCount: Int) {
        firingRowCount = [Int](repeating: 0, count: unitCount)
        maxActivation = [Float](repeating: 0, count: unitCount)
        halfMaxRowCount = [Int](repeating: 0, count: unitCount)
        values = Dictionary(uniqueKeysWithValues: MonosemanticityMeasure.allCases.map {
            ($0.rawValue, [Double?](repeating: nil, count: unitCount))
        })
    }

    /// The values of `measure` (nil per unit not measured).
    public subscript(measure: MonosemanticityMeasure) -> [Double?] {
        get { values[measure.rawValue] ?? [] }
        set { values[measure.rawValue] = newValue }
    }
}
