/// Everything `saestore feature` shows for one feature (and what a report page embeds).
public struct FeatureDetail: Codable, Sendable, Equatable {
    /// A histogram bin that holds activations.
    public struct Bin: Codable, Sendable, Equatable {
        public var lower: Float
        public var upper: Float
        public var count: Int
    }

    /// A quantile bucket: its activation range, how many rows fell in it, and samples.
    public struct Quantile: Codable, Sendable, Equatable {
        public var lower: Float
        public var upper: Float
        public var count: Int
        public var examples: [FeatureExample]
    }

    /// A token the feature's decoder direction promotes or suppresses.
    public struct LogitToken: Codable, Sendable, Equatable {
        public var tokenID: Int
        /// Decoded with the model's tokenizer (nil without one).
        public var text: String?
        public var value: Float
    }

    public var feature: Int
    public var rowsScanned: Int
    public var fireCount: Int
    /// fireCount / rowsScanned.
    public var frequency: Double
    /// Mean activation over the rows where it fired.
    public var meanActivation: Double
    public var maxActivation: Float
    /// Non-empty histogram bins, ascending.
    public var histogram: [Bin]
    /// Top examples, best first.
    public var topExamples: [FeatureExample]
    /// Rows left out of the top examples and quantile samples because their context was
    /// identical to a kept example's (each example's `duplicates`, summed).
    public var duplicatesFolded: Int = 0
    /// Token ids left out of the logit effect (`CollapsedTokens`): unembedding rows
    /// near-identical to many others', i.e. tokens the model barely trained.
    public var logitTokensLeftOut: Int = 0
    /// Quantile buckets, highest first (empty when the scan kept none).
    public var quantiles: [Quantile]
    /// Logit effect (nil when no model was given at scan time or now).
    public var promotedTokens: [LogitToken]?
    public var suppressedTokens: [LogitToken]?
}
