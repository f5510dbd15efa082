import SAELoading
/// What `saestore evaluate` measures and on which rows (docs/EVALUATION.md).
public struct EvaluationConfig: Codable, Sendable, Equatable {
    /// Store directory; nil = the store named in the run's run.json.
    public var store: String?
    /// A run directory (RUN with sae/ and run.json) or an SAELens SAE directory.
    public var sae: String
    /// Column (hook) to evaluate on; nil = run.json's column, else cfg.json's hook_name.
    public var hook: String?
    /// First row (inclusive) to evaluate; with `endRow` nil too, the run's held-out rows.
    public var firstRow: Int?
    /// End row (exclusive) to evaluate.
    public var endRow: Int?
    /// Use at most this many rows from the start of the range (rows); nil = all.
    public var maxRowCount: Int?
    /// Examples per unit for the top-k same-token shares (rows, SAELens dashboards use 20).
    public var topK: Int
    /// A feature is dense when it fires on more than this fraction of the rows (0...1).
    public var denseThreshold: Double
    /// Leave out rows whose token is special: <|endoftext|> in a GPT-2 store, the BOS ingest
    /// prepended in a tokenizer.json (Llama-family) store. Not measured, not replaced by the
    /// SAE's reconstruction in the model, as SAELens' evals do by default.
    public var excludeSpecialTokens: Bool
    /// Leave out rows at context positions below this (count); nil = run.json's
    /// `minimumPosition`, else 0.
    public var minimumPosition: Int?
    /// How a residual dimension's signed value becomes a unit activation for the baseline.
    public var residualActivation: ResidualActivation
    /// Also measure the MLP-neuron and residual-dimension baselines (monosemanticity).
    public var baselines: Bool
    /// Windows per forward pass of the model (B).
    public var windowsPerBatch: Int
    /// Rows read and encoded at once (rows; memory is rows × (d_in + d_sae) floats).
    public var blockRowCount: Int

    /// Every setting but `sae` defaulted as `saestore evaluate` runs: rows from the run (held
    /// out), top-20 examples per unit, dense above 10% of rows, BOS rows excluded, positive
    /// residual activations, baselines on, 8 windows per forward pass, 4096-row blocks.
    /// Checked by `validate()`.
    public init(sae: String, store: String? = nil, hook: String? = nil, firstRow: Int? = nil, endRow: Int? = nil,
                maxRowCount: Int? = nil, topK: Int = 20, denseThreshold: Double = 0.1,
                excludeSpecialTokens: Bool = true, minimumPosition: Int? = nil,
                residualActivation: ResidualActivation = .positive, baselines: Bool = true,
                windowsPerBatch: Int = 8, blockRowCount: Int = 4096) {
        self.sae = sae
        self.store = store
        self.hook = hook
        self.firstRow = firstRow
        self.endRow = endRow
        self.maxRowCount = maxRowCount
        self.topK = topK
        self.denseThreshold = denseThreshold
        self.excludeSpecialTokens = excludeSpecialTokens
        self.minimumPosition = minimumPosition
        self.residualActivation = residualActivation
        self.baselines = baselines
        self.windowsPerBatch = windowsPerBatch
        self.blockRowCount = blockRowCount
    }

    /// Throws `EvaluationError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw EvaluationError.invalidArgument(message()) }
        }
        try check(topK >= 1, "top-k must be at least 1, got \(topK)")
        try check(denseThreshold > 0 && denseThreshold < 1, "the dense threshold must be in (0, 1), got \(denseThreshold)")
        try check(windowsPerBatch >= 1, "windows per batch must be at least 1, got \(windowsPerBatch)")
        try check(blockRowCount >= 1, "block rows must be at least 1, got \(blockRowCount)")
        if let maxRowCount { try check(maxRowCount >= 1, "--max-rows must be at least 1, got \(maxRowCount)") }
        if let minimumPosition { try check(minimumPosition >= 0, "the minimum position must be >= 0, got \(minimumPosition)") }
        if let firstRow, let endRow { try check(firstRow < endRow, "rows \(firstRow)..\(endRow) are empty") }
        try check((firstRow == nil) == (endRow == nil), "give both ends of the row range (firstRow and endRow)")
    }
}

/// How a signed activation (a residual-stream dimension) is turned into a unit's activation,
/// which the monosemanticity measures need to be ≥ 0.
public enum ResidualActivation: String, Codable, Sendable, CaseIterable {
    /// |x|: a dimension is active when it is far from 0 in either direction.
    case absolute
    /// max(x, 0): only the positive direction, as for ReLU features and GELU neurons.
    case positive

    @inline(__always)
    func apply(_ value: Float) -> Float {
        switch self {
        case .absolute: return abs(value)
        case .positive: return max(value, 0)
        }
    }
}
