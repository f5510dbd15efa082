/// GPT-2's splicing: the hook's live buffer is overwritten inside `forward`, then ln_f and the
/// (tied or untied) unembedding score every run.
extension GPT2Model: SpliceableLanguageModel {
    /// Runs `tokens` once per entry of `transforms` (nil: untouched, the clean run; the first
    /// entry is the reference of the KL divergences) with the `hook` activation replaced by
    /// `transform(activation)`, and compares the next-token distributions at the positions
    /// t < T−1 of each sequence where `counted[b * (T−1) + t]` holds. Only (B·T, C) hidden
    /// states are kept per run; logits are formed `NextTokenComparison.chunkRows` rows at a time.
    public func compareNextTokens(tokens: [UInt32], batch B: Int, sequenceLength T: Int, hook: HookPoint,
                                  transforms: [((inout [Float]) -> Void)?], counted: [Bool]) throws -> NextTokenComparison {
        try checkInput(tokens: tokens, B: B, T: T)
        try VisitedSplice.checkPositions(batch: B, sequenceLength: T, counted: counted, invalidInput: GPT2ModelError.invalidInput(reason:))
        try hook.validate(for: config)
        let N = B * T, C = config.embeddingWidth, V = config.vocabularySize
        var hiddenStates: [[Float]] = []
        for transform in transforms {
            var spliceError: GPT2ModelError?
            forward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: config.layerCount - 1, hooks: transform == nil ? [] : [hook]) { point, buffer in
                guard let transform else { return }
                var activation = Array(buffer)
                transform(&activation)
                guard activation.count == buffer.count else {
                    spliceError = .invalidInput(reason: "the transform for \(point) changed the activation from \(buffer.count) to \(activation.count) floats")
                    return
                }
                _ = activation.withUnsafeBufferPointer { buffer.update(fromContentsOf: $0) }
            }
            if let spliceError { throw spliceError }
            hiddenStates.append(Array(UnsafeBufferPointer(start: finalNorm(N: N), count: N * C)))
        }
        return NextTokenComparison.compare(hiddenStates: hiddenStates, unembedding: parameters.unembedding, V: V, C: C,
                                           tokens: tokens, B: B, T: T, counted: counted)
    }
}
