/// One token of an example's window: its row, id, text and the feature's activation on it.
public struct ExampleToken: Codable, Sendable, Equatable {
    /// Global row in the store.
    public var row: Int
    /// The token's id in the model's vocabulary (`token_id` column).
    public var tokenID: UInt32
    /// The token's bytes in its document (empty for a BOS row).
    public var text: String
    /// The feature's activation on this row (recomputed from the stored activations).
    public var activation: Float
}

/// A row where a feature fired, resolved to its text: the token and `window` tokens of its
/// document on each side, each with the feature's activation.
public struct FeatureExample: Codable, Sendable, Equatable {
    /// SAE feature id.
    public var feature: Int
    /// Global row in the store where the feature fired.
    public var row: Int
    /// The activation the scan found.
    public var activation: Float
    /// Document and token index inside it; nil for bare rows (imported without text).
    public var document: Int?
    /// The token's index within its document (row − the document's first row).
    public var tokenIndex: Int?
    /// The corpus file the document came from, as given to ingest; nil for bare rows.
    public var source: String?
    /// The document's 0-based number in `source` (`CorpusDocument.index`).
    public var sourceIndex: Int?
    /// The window, in order; empty for bare rows.
    public var tokens: [ExampleToken]
    /// Index of the example's own row in `tokens` (-1 when there are none).
    public var centerIndex: Int
    /// Other rows with the identical context (same tokens from the window start to this one)
    /// folded into this example by the scan; nil when not known (bare rows, older results).
    public var duplicates: Int? = nil

    /// The example's own token.
    public var token: ExampleToken? { centerIndex >= 0 ? tokens[centerIndex] : nil }
}

/// What to resolve: a feature's activation at a row.
public struct ExampleRequest: Sendable, Equatable {
    /// SAE feature id.
    public var feature: Int
    /// Global row in the store.
    public var row: Int
    /// The activation the scan found there; copied into the example, not recomputed.
    public var activation: Float

    /// A request for feature `feature` at `row`, carrying the scan's `activation`.
    public init(feature: Int, row: Int, activation: Float) {
        self.feature = feature
        self.row = row
        self.activation = activation
    }
}
