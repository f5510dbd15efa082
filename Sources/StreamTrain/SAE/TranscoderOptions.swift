/// What makes an SAE a transcoder (docs/SAE.md, "Transcoders"): it encodes one column (the MLP's
/// input, e.g. `blocks.L.ln2.hook_normalized`) and is trained to predict another column of the
/// same rows (the MLP's output, `blocks.L.hook_mlp_out`), as SAELens' `Transcoder` and
/// `SkipTranscoder` define it:
///
///     f = act(x · W_enc + b_enc)         (no b_dec subtracted: SAELens refuses apply_b_dec_to_input)
///     ŷ = f · W_dec + b_dec (+ x · W_skipᵀ with the skip connection)
///     loss = Σ_c (ŷ − y)² / B + λ · sparsity
///
/// `act` is the architecture's: ReLU with L1 (`standard`) or TopK (`topk`).
public struct TranscoderOptions: Codable, Equatable, Sendable {
    /// The store column the transcoder predicts (a hook name, e.g. `blocks.2.hook_mlp_out`);
    /// its width must equal the input's (this version keeps d_out = d_in).
    public var targetColumn: String
    /// Whether ŷ adds a learned linear map of the input, x · W_skipᵀ (SAELens "skip_transcoder";
    /// W_skip starts at zero, as SAELens initialises it).
    public var skipConnection: Bool

    /// Options for a transcoder predicting `targetColumn`.
    public init(targetColumn: String, skipConnection: Bool = false) {
        self.targetColumn = targetColumn
        self.skipConnection = skipConnection
    }

    /// The SAELens architecture name of the export.
    public var saeLensArchitecture: String { skipConnection ? "skip_transcoder" : "transcoder" }
}
