/// Where the values of a measure lie across units: count, mean and quartiles.
public struct DistributionSummary: Codable, Sendable, Equatable {
    /// Units with a value.
    public var count: Int
    /// Arithmetic mean of the finite values.
    public var mean: Double
    /// Smallest finite value.
    public var min: Double
    /// 25th percentile.
    public var q1: Double
    /// 50th percentile.
    public var median: Double
    /// 75th percentile.
    public var q3: Double
    /// Largest finite value.
    public var max: Double

    /// Quantiles interpolate linearly between order statistics (numpy's default): the q-th
    /// quantile of sorted v is at index q·(n − 1). Non-finite values are ignored; nil when
    /// none is left.
    public init?(_ values: [Double]) {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let below = Int(position.rounded(.down))
            let above = Swift.min(below + 1, sorted.count - 1)
            return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
        }
        count = sorted.count
        mean = sorted.reduce(0, +) / Double(sorted.count)
        min = sorted[0]
        q1 = quantile(0.25)
        median = quantile(0.5)
        q3 = quantile(0.75)
        max = sorted[sorted.count - 1]
    }
}
