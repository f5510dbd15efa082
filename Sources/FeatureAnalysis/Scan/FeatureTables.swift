/// What a scan keeps, for F features (flat row-major arrays, shapes in the comments).
/// Padding slots (a feature with fewer than k firing rows, a bucket with fewer samples) hold
/// row -1 and activation 0.
public struct FeatureTables: Equatable, Sendable {
    /// SAE feature id of each scanned feature, ascending. (F)
    public var featureIDs: [Int]
    /// Examples kept per feature.
    public var topK: Int
    /// Quantile buckets per feature (0: none sampled).
    public var quantileCount: Int
    /// Samples kept per bucket.
    public var samplesPerQuantile: Int
    /// Rows the scan read.
    public var rowsScanned: Int
    /// Rows on which each feature fired (activation > 0). (F)
    public var fireCounts: [Int]
    /// Sum of each feature's activations where it fired, summed in row order. (F)
    public var activationSums: [Double]
    /// Top rows, best first: larger activation, ties by smaller row. (F, topK)
    public var topRows: [Int]
    /// Their activations. (F, topK)
    public var topActivations: [Float]
    /// Counts per ActivationHistogram bin. (F, ActivationHistogram.binCount)
    public var histograms: [Int]
    /// Firing rows per quantile bucket. (F, quantileCount)
    public var quantileCounts: [Int]
    /// Sampled rows per bucket, highest activation first. (F, quantileCount, samplesPerQuantile)
    public var quantileRows: [Int]
    /// Their activations. (F, quantileCount, samplesPerQuantile)
    public var quantileActivations: [Float]
    /// Rows with the same context as each top example, folded into it (`ContextKeys`). (F, topK)
    public var topDuplicates: [Int] = []
    /// The same for each quantile sample. (F, quantileCount, samplesPerQuantile)
    public var quantileDuplicates: [Int] = []

    /// F, the number of features scanned (`featureIDs.count`).
    public var featureCount: Int { featureIDs.count }

    /// Local index of SAE feature `id`, if it was scanned.
    public func index(ofFeature id: Int) -> Int? {
        var lo = 0, hi = featureIDs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if featureIDs[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < featureIDs.count && featureIDs[lo] == id ? lo : nil
    }

    /// The feature's top examples (padding dropped), best first.
    public func topExamples(_ f: Int) -> [(row: Int, activation: Float)] {
        (0..<topK).compactMap { i in
            let row = topRows[f * topK + i]
            return row < 0 ? nil : (row, topActivations[f * topK + i])
        }
    }

    /// Rows folded into each of the feature's top examples (zeros for results from before folding).
    public func topDuplicateCounts(_ f: Int) -> [Int] {
        (0..<topK).compactMap { i in
            topRows[f * topK + i] < 0 ? nil : (topDuplicates.isEmpty ? 0 : topDuplicates[f * topK + i])
        }
    }

    /// Rows folded into each sample of bucket q.
    public func quantileDuplicateCounts(_ f: Int, bucket q: Int) -> [Int] {
        let start = (f * quantileCount + q) * samplesPerQuantile
        return (0..<samplesPerQuantile).compactMap { i in
            quantileRows[start + i] < 0 ? nil : (quantileDuplicates.isEmpty ? 0 : quantileDuplicates[start + i])
        }
    }

    /// The largest activation seen (0 for a dead feature).
    public func maxActivation(_ f: Int) -> Float { topRows[f * topK] < 0 ? 0 : topActivations[f * topK] }

    /// Mean activation over the rows where the feature fired.
    public func meanActivation(_ f: Int) -> Double { fireCounts[f] > 0 ? activationSums[f] / Double(fireCounts[f]) : 0 }

    /// Fraction of scanned rows on which it fired.
    public func frequency(_ f: Int) -> Double { rowsScanned > 0 ? Double(fireCounts[f]) / Double(rowsScanned) : 0 }

    /// Activation range of quantile bucket q: [q, q+1) × max / Q (the last includes max).
    public func quantileRange(_ f: Int, bucket q: Int) -> ClosedRange<Float> {
        let width = maxActivation(f) / Float(quantileCount)
        return Float(q) * width...Float(q + 1) * width
    }

    /// Samples of bucket q (padding dropped), highest activation first.
    public func quantileSamples(_ f: Int, bucket q: Int) -> [(row: Int, activation: Float)] {
        let start = (f * quantileCount + q) * samplesPerQuantile
        return (0..<samplesPerQuantile).compactMap { i in
            let row = quantileRows[start + i]
            return row < 0 ? nil : (row, quantileActivations[start + i])
        }
    }

    /// Histogram counts of feature f. (binCount)
    public func histogram(_ f: Int) -> ArraySlice<Int> {
        let n = ActivationHistogram.binCount
        return histograms[f * n..<(f + 1) * n]
    }
}
