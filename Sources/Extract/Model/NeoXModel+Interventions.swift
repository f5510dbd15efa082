import Foundation

/// GPT-NeoX splicing, for downstream evaluation: the hook's (B·T, width) values are handed to the
/// transform inside the forward (the BLAS path, or the plain loops with `usesReferenceLoops`),
/// then the final LayerNorm and the unembedding (embed_out, or embed_in when tied) score every
/// run through the same `NextTokenComparison` as GPT-2 and Llama. Every site the model has can be
/// spliced; with the parallel residual, replacing `hook_resid_pre` feeds both branches and the
/// sum, replacing `hook_attn_out` changes the sum only (ln2 reads resid_pre).
extension NeoXModel: SpliceableLanguageModel {
    /// Runs `tokens` once per entry of `transforms` (nil: the clean run; the first entry is the
    /// KL reference) with `hook`'s activation replaced by `transform(activation)`, and compares
    /// the next-token distributions at the positions t < T−1 where `counted[b * (T−1) + t]`.
    /// Throws `NeoXModelError.invalidInput` for bad tokens, T < 2, a wrong `counted` length or a
    /// transform that changes the length, and `ModelFamilyError`/`HookPointError` for a hook the
    /// model does not have (`hook_resid_mid` with the parallel residual).
    public func compareNextTokens(tokens: [UInt32], batch B: Int, sequenceLength T: Int, hook: HookPoint,
                                  transforms: [((inout [Float]) -> Void)?], counted: [Bool]) throws -> NextTokenComparison {
        try checkInput(tokens: tokens, batch: B, sequenceLength: T)
        try VisitedSplice.checkPositions(batch: B, sequenceLength: T, counted: counted, invalidInput: NeoXModelError.invalidInput(reason:))
        let point = try hookPoint(named: hook.description)
        let hiddenStates = try VisitedSplice.hiddenStates(transforms: transforms, point: point,
                                                          invalidInput: NeoXModelError.invalidInput(reason:)) { visit in
            let residual = usesReferenceLoops
                ? forward(tokens: tokens, batch: B, sequenceLength: T, lastLayer: config.layerCount - 1, visit: visit)
                : fastForward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: config.layerCount - 1, visit: visit)
            return finalNorm(residual)
        }
        return (weights.unembedding ?? weights.embedding).withUnsafeBufferPointer { unembedding in
            NextTokenComparison.compare(hiddenStates: hiddenStates, unembedding: unembedding.baseAddress!,
                                        V: config.vocabularySize, C: config.hiddenWidth, tokens: tokens, B: B, T: T,
                                        counted: counted)
        }
    }
}
