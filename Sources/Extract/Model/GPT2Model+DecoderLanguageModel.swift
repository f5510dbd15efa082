/// GPT-2 as a `DecoderLanguageModel`: every TransformerLens block hook, the forward pass unchanged.
extension GPT2Model: DecoderLanguageModel {
    public var family: ModelFamily { .gpt2 }
    public var layerCount: Int { config.layerCount }
    public var vocabularySize: Int { config.vocabularySize }
    public var maxSequenceLength: Int { config.maxPositions }
    public var hookSites: [HookPoint.Site] { ModelFamily.gpt2.transformerLensSites }
    public func width(of hook: HookPoint) -> Int { hook.width(config) }

    public func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float {
        try nextTokenLoss(tokens: tokens, batch: batch, sequenceLength: sequenceLength, replacing: nil, with: nil)
    }
}
