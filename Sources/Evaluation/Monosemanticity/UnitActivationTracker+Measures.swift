import Foundation

extension UnitActivationTracker {
    /// Every unit's measures, given each tracked row's token and previous token (indexed by the
    /// row numbers passed to `add`). Units with fewer than k firing rows are not measured: their
    /// "top k" would include rows where they do not fire at all.
    func measures(tokenIDs: [UInt32], previousTokenIDs: [UInt32]) -> UnitMeasures {
        var out = UnitMeasures(unitCount: unitCount)
        var columns = Dictionary(uniqueKeysWithValues: MonosemanticityMeasure.allCases.map { ($0, out[$0]) })
        func pair(_ row: Int32) -> UInt64 {
            UInt64(previousTokenIDs[Int(row)]) << 32 | UInt64(tokenIDs[Int(row)])
        }
        for unit in 0..<unitCount {
            out.firingRowCount[unit] = firingCounts[unit]
            out.maxActivation[unit] = maxima[unit]
            let half = halfMaxRows(unit: unit)
            out.halfMaxRowCount[unit] = half.count
            guard firingCounts[unit] >= topK else { continue }
            let top = topRows(unit: unit)
            columns[.topKTokenShare]![unit] = Self.modeShare(top.map { UInt64(tokenIDs[Int($0.row)]) })
            columns[.topKPairShare]![unit] = Self.modeShare(top.map { pair($0.row) })
            let tokens = Self.massDistribution(half.map { (UInt64(tokenIDs[Int($0.row)]), $0.value) })
            columns[.tokenMassShare]![unit] = tokens.largestShare
            columns[.tokenEntropyBits]![unit] = tokens.entropyBits
            let pairs = Self.massDistribution(half.map { (pair($0.row), $0.value) })
            columns[.pairMassShare]![unit] = pairs.largestShare
            columns[.pairEntropyBits]![unit] = pairs.entropyBits
        }
        for (measure, values) in columns { out[measure] = values }
        return out
    }

    /// Count of the most common key divided by the number of keys.
    static func modeShare(_ keys: [UInt64]) -> Double {
        guard !keys.isEmpty else { return 0 }
        var counts: [UInt64: Int] = [:]
        for key in keys { counts[key, default: 0] += 1 }
        return Double(counts.values.max()!) / Double(keys.count)
    }

    /// Σ weight per key, normalised: the largest share and the entropy in bits.
    static func massDistribution(_ weighted: [(key: UInt64, weight: Float)]) -> (largestShare: Double, entropyBits: Double) {
        var mass: [UInt64: Double] = [:]
        var total = 0.0
        for (key, weight) in weighted {
            mass[key, default: 0] += Double(weight)
            total += Double(weight)
        }
        guard total > 0 else { return (0, 0) }
        var entropy = 0.0, largest = 0.0
        // A fixed summation order: dictionaries iterate in a per-instance order, and the result
        // must not change between runs.
        for value in mass.values.sorted() {
            let p = value / total
            largest = max(largest, p)
            if p > 0 { entropy -= p * log2(p) }
        }
        return (largest, max(entropy, 0))
    }

    /// The measures with their distributions across the measured units.
    func summarize(kind: String, source: String, tokenIDs: [UInt32], previousTokenIDs: [UInt32]) -> UnitKindMonosemanticity {
        let units = measures(tokenIDs: tokenIDs, previousTokenIDs: previousTokenIDs)
        var summaries: [String: DistributionSummary] = [:]
        for measure in MonosemanticityMeasure.allCases {
            if let summary = DistributionSummary(units[measure].compactMap { $0 }) {
                summaries[measure.rawValue] = summary
            }
        }
        return UnitKindMonosemanticity(
            kind: kind, source: source, activation: activation.formula, unitCount: unitCount,
            measuredUnitCount: units.firingRowCount.filter { $0 >= topK }.count, rowCount: rowCount,
            summaries: summaries, units: units)
    }
}
