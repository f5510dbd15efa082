/// GPT-2 as a `DecoderLanguageModel`: every TransformerLens block hook, the forward pass unchanged.
extension GPT2Model: DecoderLanguageModel {
    /// Always `.gpt2`.
    public var family: ModelFamily { .gpt2 }
    /// config.json's `n_layer`.
    public var layerCount: Int { config.layerCount }
    /// config.json's `vocab_size` (50257 for gpt2).
    public var vocabularySize: Int { config.vocabularySize }
    /// config.json's `n_positions` (1024 for gpt2): the longest window a forward accepts.
    public var maxSequenceLength: Int { config.maxPositions }
    /// All eight TransformerLens sites of a GPT-2 block, resid_pre to resid_post.
    public var hookSites: [HookPoint.Site] { ModelFamily.gpt2.transformerLensSites }
    /// n_inner for `mlp.hook_post`, n_embd for every other site.
    public func width(of hook: HookPoint) -> Int { hook.width(config) }

    /// The clean loss: `nextTokenLoss(tokens:batch:sequenceLength:replacing:with:)` with no hook
    /// replaced, in nats/token over positions 0..<T-1. Throws `GPT2ModelError.invalidInput` when
    /// `tokens.count` is not B·T, T is below 2 or above n_positions, or an id is past the vocabulary.
    public func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float {
        try nextTokenLoss(tokens: tokens, batch: batch, sequenceLength: sequenceLength, replacing: nil, with: nil)
    }
}
