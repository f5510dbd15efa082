/// Everything `saestore feature` shows for one feature (and what a report page embeds).
public struct FeatureDetail: Codable, Sendable, Equatable {
    /// A histogram bin that holds activations.
    public struct Bin: Codable, Sendable, Equatable {
        /// Lower edge of the bin (inclusive; the first bin also holds every smaller positive
        /// activation): `ActivationHistogram`'s fixed quarter-octave bins.
        public var lower: Float
        /// Upper edge of the bin (exclusive; the last bin also holds every larger activation).
        public var upper: Float
        /// Scanned rows whose activation fell in the bin.
        public var count: Int
    }

    /// A quantile bucket: its activation range, how many rows fell in it, and samples.
    public struct Quantile: Codable, Sendable, Equatable {
        /// Lower edge: q · max / Q for bucket q of Q (0 for the lowest bucket).
        public var lower: Float
        /// Upper edge: (q + 1) · max / Q (the highest bucket includes the max).
        public var upper: Float
        /// Rows of the scan whose activation fell in the bucket (all of them, not only the samples).
        public var count: Int
        /// The bucket's sampled rows resolved to text, highest activation first.
        public var examples: [FeatureExample]
    }

    /// A token the feature's decoder direction promotes or suppresses.
    public struct LogitToken: Codable, Sendable, Equatable {
        /// Token id in the model's vocabulary.
        public var tokenID: Int
        /// Decoded with the model's tokenizer (nil without one).
        public var text: String?
        /// Its direct logit effect W_dec[f] · W_U[token] (logit units per unit of activation, before ln_f).
        public var value: Float
    }

    /// SAE feature id (the latent index in the SAE, not its index in the results' tables).
    public var feature: Int
    /// Rows the scan read (the denominator of `frequency`).
    public var rowsScanned: Int
    /// Scanned rows on which the feature's activation was > 0.
    public var fireCount: Int
    /// fireCount / rowsScanned.
    public var frequency: Double
    /// Mean activation over the rows where it fired.
    public var meanActivation: Double
    /// Largest activation the scan found (the top example's; 0 when it never fired).
    public var maxActivation: Float
    /// Non-empty histogram bins, ascending.
    public var histogram: [Bin]
    /// Top examples, best first.
    public var topExamples: [FeatureExample]
    /// Rows left out of the top examples and quantile samples because their context was
    /// identical to a kept example's (each example's `duplicates`, summed).
    public var duplicatesFolded: Int = 0
    /// Token ids left out of the logit effect (`LogitExclusions`): unembedding rows
    /// near-identical to many others' (`CollapsedTokens`), and tokens never seen in training
    /// when that is known (`TrainingTokens`).
    public var logitTokensLeftOut: Int = 0
    /// Why they were left out, as one sentence (nil: none were).
    public var logitTokensLeftOutNote: String? = nil
    /// Quantile buckets, highest first (empty when the scan kept none).
    public var quantiles: [Quantile]
    /// Logit effect (nil when no model was given at scan time or now).
    public var promotedTokens: [LogitToken]?
    /// Most suppressed tokens, most negative first (nil as for `promotedTokens`).
    public var suppressedTokens: [LogitToken]?
}
