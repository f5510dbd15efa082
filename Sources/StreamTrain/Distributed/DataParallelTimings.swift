/// Where a data-parallel run's step time went, summed over the steps this trainer took
/// (wall-clock seconds on this rank). `reduce` includes waiting for the slowest rank.
public struct DataParallelTimings: Codable, Sendable, Equatable {
    /// Steps timed.
    public var stepCount = 0
    /// Reading this rank's rows (the loader's `nextBatch`).
    public var loadSeconds = 0.0
    /// Forward and backward on this rank's rows.
    public var gradientSeconds = 0.0
    /// Packing the flat buffer and unpacking it (memory copies scaled by row counts).
    public var packSeconds = 0.0
    /// The allreduce itself, waiting for the other ranks included.
    public var allreduceSeconds = 0.0
    /// Adam, the counters and metrics.
    public var updateSeconds = 0.0
    /// Floats in the allreduce buffer.
    public var reducedFloatCount = 0

    /// All zeros.
    public init() {}
}
