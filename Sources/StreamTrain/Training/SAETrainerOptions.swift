/// How a training run is driven and observed (not what it computes: that is `SAEConfig`).
public struct SAETrainerOptions: Codable, Equatable, Sendable {
    /// Steps between metric records (steps, > 0).
    public var logIntervalSteps: Int
    /// A latent is dead if it fired on none of the last this many training rows (tokens, > 0).
    public var deadFeatureWindowTokens: Int
    /// Tokens per firing-frequency window; the exported sparsity is the last complete window's
    /// (tokens, > 0).
    public var featureFrequencyWindowTokens: Int
    /// Steps between checkpoints; 0 = only at the end of training (steps, >= 0).
    public var checkpointIntervalSteps: Int
    /// Checkpoints kept on disk, newest first (count, >= 1).
    public var keptCheckpointCount: Int
    /// Stop once this many steps have been taken in total (steps); nil = no step budget.
    public var maxSteps: Int?
    /// Stop once this many rows have been trained on in total (tokens); nil = no token budget.
    public var maxTokens: Int?
    /// Kernels after the encoder product: `auto` (sparse when a batch's density — open (row,
    /// latent) pairs / (B·d_sae) — is at most `SAEKernelMode.autoDensityThreshold`), `dense`
    /// (sgemm, the reference) or `sparse`. Same loss and gradients to Float rounding (docs/SAE.md).
    public var kernels: SAEKernelMode
    /// Threads for the SAE's own kernels, Adam included (threads, >= 1); nil = one per core.
    /// Results do not depend on it. OpenBLAS's thread count (sgemm) is set separately.
    public var kernelThreadCount: Int?

    /// The dead-latent (and firing-frequency) window a run uses unless told otherwise: 1M rows,
    /// or one epoch when an epoch is shorter. Over a window longer than the run, every latent that
    /// fired during the dense start of training would count as alive forever. `train` and
    /// `quickstart` both take it from here.
    public static func defaultWindowTokens(rowsPerEpoch: Int) -> Int {
        min(1_000_000, rowsPerEpoch)
    }

    /// The dead-latent window of a run: `explicit` (`--dead-window-tokens`) if given, else
    /// `defaultWindowTokens(rowsPerEpoch:)`.
    public static func windowTokens(explicit: Int?, rowsPerEpoch: Int) -> Int {
        explicit ?? defaultWindowTokens(rowsPerEpoch: rowsPerEpoch)
    }

    /// Options as named (units as on the fields); `validate()` checks them.
    public init(logIntervalSteps: Int = 100, deadFeatureWindowTokens: Int = 1_000_000,
                featureFrequencyWindowTokens: Int = 1_000_000, checkpointIntervalSteps: Int = 0,
                keptCheckpointCount: Int = 3, maxSteps: Int? = nil, maxTokens: Int? = nil,
                kernels: SAEKernelMode = .auto, kernelThreadCount: Int? = nil) {
        self.logIntervalSteps = logIntervalSteps
        self.deadFeatureWindowTokens = deadFeatureWindowTokens
        self.featureFrequencyWindowTokens = featureFrequencyWindowTokens
        self.checkpointIntervalSteps = checkpointIntervalSteps
        self.keptCheckpointCount = keptCheckpointCount
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.kernels = kernels
        self.kernelThreadCount = kernelThreadCount
    }

    private enum CodingKeys: String, CodingKey {
        case logIntervalSteps, deadFeatureWindowTokens, featureFrequencyWindowTokens
        case checkpointIntervalSteps, keptCheckpointCount, maxSteps, maxTokens, kernels, kernelThreadCount
    }

    /// Decodes options saved before `kernels` and `kernelThreadCount` existed with their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(logIntervalSteps: try c.decode(Int.self, forKey: .logIntervalSteps),
                  deadFeatureWindowTokens: try c.decode(Int.self, forKey: .deadFeatureWindowTokens),
                  featureFrequencyWindowTokens: try c.decode(Int.self, forKey: .featureFrequencyWindowTokens),
                  checkpointIntervalSteps: try c.decode(Int.self, forKey: .checkpointIntervalSteps),
                  keptCheckpointCount: try c.decode(Int.self, forKey: .keptCheckpointCount),
                  maxSteps: try c.decodeIfPresent(Int.self, forKey: .maxSteps),
                  maxTokens: try c.decodeIfPresent(Int.self, forKey: .maxTokens),
                  kernels: try c.decodeIfPresent(SAEKernelMode.self, forKey: .kernels) ?? .auto,
                  kernelThreadCount: try c.decodeIfPresent(Int.self, forKey: .kernelThreadCount))
    }

    /// Throws `SAEConfigError` naming the first field out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ expected: String) throws {
            if !ok { throw SAEConfigError(field: field, value: "\(value)", expected: expected) }
        }
        try check(logIntervalSteps > 0, "logIntervalSteps", logIntervalSteps, "a positive step count")
        try check(deadFeatureWindowTokens > 0, "deadFeatureWindowTokens", deadFeatureWindowTokens, "a positive token count")
        try check(featureFrequencyWindowTokens > 0, "featureFrequencyWindowTokens", featureFrequencyWindowTokens,
                  "a positive token count")
        try check(checkpointIntervalSteps >= 0, "checkpointIntervalSteps", checkpointIntervalSteps, "0 or more steps")
        try check(keptCheckpointCount >= 1, "keptCheckpointCount", keptCheckpointCount, "at least 1")
        if let maxSteps { try check(maxSteps > 0, "maxSteps", maxSteps, "a positive step count") }
        if let maxTokens { try check(maxTokens > 0, "maxTokens", maxTokens, "a positive token count") }
        if let kernelThreadCount {
            try check(kernelThreadCount >= 1 && kernelThreadCount <= 256, "kernelThreadCount", kernelThreadCount,
                      "1...256 threads, or nil for one per core")
        }
    }
}
