import ActStore

/// What `saestore ingest` extracts and how it stores it.
public struct IngestConfig: Codable, Sendable, Equatable {
    /// Hook names (TransformerLens/SAELens), one store column each.
    public var hooks: [String]
    /// Tokens per model window, BOS included when `prependBOS`.
    public var contextSize: Int
    /// Start every window with <|endoftext|> (50256) as BOS, as SAELens does by default.
    public var prependBOS: Bool
    /// Stop once the store holds this many documents (nil: the whole corpus).
    public var maxDocuments: Int?
    /// Stop once the store holds this many rows (tokens, BOS rows included): `ingest --max-store-rows`.
    public var maxTokens: Int?
    /// On-disk dtype of the activation columns.
    public var dtype: ColumnCodec
    /// zstd level of the activation columns.
    public var compressionLevel: Int
    /// Windows per forward pass (B).
    public var batchWindows: Int
    /// Rows per store chunk.
    public var chunkRows: Int
    /// Commit at least this often, in seconds (a crash loses at most this much work).
    public var commitIntervalSeconds: Double
    /// Also commit after this many documents.
    public var commitEveryDocuments: Int

    /// Defaults as `saestore ingest` runs: 128-token windows with BOS, the whole corpus, f16
    /// activations at zstd level 3, 8 windows per forward, 8192-row chunks, a commit every 30 s
    /// or 2000 documents. Checked by `validate(modelContext:)` when an `Ingester` is made.
    public init(hooks: [String], contextSize: Int = 128, prependBOS: Bool = true, maxDocuments: Int? = nil, maxTokens: Int? = nil,
                dtype: ColumnCodec = .f16, compressionLevel: Int = 3, batchWindows: Int = 8, chunkRows: Int = 8192,
                commitIntervalSeconds: Double = 30, commitEveryDocuments: Int = 2000) {
        self.hooks = hooks
        self.contextSize = contextSize
        self.prependBOS = prependBOS
        self.maxDocuments = maxDocuments
        self.maxTokens = maxTokens
        self.dtype = dtype
        self.compressionLevel = compressionLevel
        self.batchWindows = batchWindows
        self.chunkRows = chunkRows
        self.commitIntervalSeconds = commitIntervalSeconds
        self.commitEveryDocuments = commitEveryDocuments
    }

    /// Throws `StoreError.invalidArgument`, naming the CLI option, when no hook or a duplicate is
    /// given, `contextSize` is outside 1 (2 with BOS)...`modelContext` (the model's n_positions),
    /// `dtype` is not a float codec, a count is below 1, or the commit interval is not positive.
    public func validate(modelContext: Int) throws {
        if hooks.isEmpty { throw StoreError.invalidArgument("give at least one --hook") }
        if Set(hooks).count != hooks.count { throw StoreError.invalidArgument("a hook is given twice") }
        if contextSize < (prependBOS ? 2 : 1) || contextSize > modelContext {
            throw StoreError.invalidArgument("--context must be \(prependBOS ? 2 : 1)...\(modelContext) (the model's n_positions), got \(contextSize)")
        }
        if !dtype.isFloat { throw StoreError.invalidArgument("--dtype must be f32, f16, bf16, int8-outlier or int8") }
        if batchWindows < 1 { throw StoreError.invalidArgument("--batch must be at least 1") }
        if let maxDocuments, maxDocuments < 1 { throw StoreError.invalidArgument("--max-docs must be at least 1") }
        if let maxTokens, maxTokens < 1 { throw StoreError.invalidArgument("--max-store-rows must be at least 1") }
        if commitEveryDocuments < 1 || commitIntervalSeconds <= 0 { throw StoreError.invalidArgument("commit interval must be positive") }
    }

    /// Tokens of text per window (the BOS takes one position).
    var textTokensPerWindow: Int { contextSize - (prependBOS ? 1 : 0) }
}

/// Where an ingest is, for progress displays.
public struct IngestProgress: Sendable {
    /// The corpus file being read.
    public var source: String
    /// Documents in the store, counting those handed to the write stage but not yet committed.
    public var documents: Int
    /// Rows in the store, counted the same way (BOS rows included).
    public var rows: Int
    /// Rows added by this run.
    public var rowsAdded: Int
    /// Wall-clock seconds since this run started.
    public var seconds: Double
    /// Rows added by this run per wall-clock second (0 before any time has passed).
    public var rowsPerSecond: Double { seconds > 0 ? Double(rowsAdded) / seconds : 0 }
    /// Malformed corpus lines skipped so far, over all sources of this run.
    public var badLines: Int
}

/// What an ingest run did.
public struct IngestSummary: Codable, Sendable {
    /// Documents this run added to the store (resumed runs do not count earlier ones).
    public var documentsAdded = 0
    /// Rows (tokens, BOS rows included) this run added.
    public var rowsAdded = 0
    /// Documents in the store after the final commit, earlier runs' included.
    public var documentsInStore = 0
    /// Rows in the store after the final commit, earlier runs' included.
    public var rowsInStore = 0
    /// Documents that tokenized to nothing (skipped, still counted by the cursor).
    public var emptyDocuments = 0
    /// Malformed corpus lines skipped, over all sources (see `CorpusReader.badLines`).
    public var badLines = 0
    /// Wall-clock seconds of the run, from just after the store is opened to the final commit.
    public var seconds = 0.0
    /// rowsAdded / seconds.
    public var rowsPerSecond = 0.0
    /// Positions the forward computed: `rowsAdded` when nothing is padded.
    public var computedRows = 0
    /// Seconds spent in the GPT-2 forward (the rest of `seconds` is reading, tokenizing and
    /// waiting for the write stage).
    public var forwardSeconds = 0.0
    /// Seconds the write stage (compression, segment writes, commits) worked, overlapping the forward.
    public var writeSeconds = 0.0
    /// Seconds the forward's loop waited for the next tokenized document (reading and
    /// tokenizing run ahead on their own thread, so this is what they failed to hide).
    public var readWaitSeconds = 0.0
    /// Stopped early by the caller (Ctrl-C); rerun the same command to continue.
    public var interrupted = false
    /// The store already held everything asked for.
    public var alreadyComplete = false
}
