/// Where a scan is: which pass, rows done, speed and time left (for both passes).
public struct FeatureScanProgress: Sendable {
    /// 1: top-k, counts, histograms; 2: quantile samples (needs each feature's max).
    public var pass: Int
    /// Passes this scan makes: 2 with quantile samples (`quantileCount` > 0), else 1.
    public var passCount: Int
    /// Rows done in this pass.
    public var rowsDone: Int
    /// Rows per pass.
    public var rowsTotal: Int
    /// Seconds since the scan started.
    public var seconds: Double
    /// Rows per second over all passes so far.
    public var rowsPerSecond: Double
    /// Seconds left for every remaining pass at the current speed.
    public var etaSeconds: Double
}
