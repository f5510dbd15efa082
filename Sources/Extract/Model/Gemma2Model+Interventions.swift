import Foundation

/// Gemma 2's splicing, for downstream evaluation: the hook's (B·T, width) values are handed to
/// the transform inside the forward (the BLAS path, or the plain loops with
/// `usesReferenceLoops`), then the final (1 + w) RMSNorm, the tied unembedding and the final
/// soft-cap score every run through the same `NextTokenComparison` as GPT-2 and Llama.
extension Gemma2Model: SpliceableLanguageModel {
    /// Runs `tokens` once per entry of `transforms` (nil: the clean run; the first entry is the
    /// KL reference) with `hook`'s activation replaced by `transform(activation)`, and compares
    /// the soft-capped next-token distributions at the positions t < T−1 where
    /// `counted[b * (T−1) + t]`. Throws `LlamaModelError.invalidInput` for bad tokens, T < 2, a
    /// wrong `counted` length or a transform that changes the length, and
    /// `ModelFamilyError`/`HookPointError` for a hook a Gemma 2 model does not have.
    public func compareNextTokens(tokens: [UInt32], batch B: Int, sequenceLength T: Int, hook: HookPoint,
                                  transforms: [((inout [Float]) -> Void)?], counted: [Bool]) throws -> NextTokenComparison {
        try checkInput(tokens: tokens, batch: B, sequenceLength: T)
        guard T >= 2 else {
            throw LlamaModelError.invalidInput(reason: "sequence length \(T): the next-token loss needs at least 2 tokens per sequence")
        }
        guard counted.count == B * (T - 1) else {
            throw LlamaModelError.invalidInput(reason: "\(counted.count) position flags for \(B) × \(T - 1) predicting positions")
        }
        let point = try hookPoint(named: hook.description)
        var hiddenStates: [[Float]] = []
        for transform in transforms {
            var spliceError: LlamaModelError?
            func visit(_ site: HookPoint, _ values: inout [Float]) {
                guard let transform, site == point else { return }
                let count = values.count
                transform(&values)
                if values.count != count {
                    spliceError = .invalidInput(reason: "the transform for \(site) changed the activation from \(count) to \(values.count) floats")
                    values = [Float](repeating: 0, count: count)  // keeps the forward in bounds; the run is thrown away
                }
            }
            let residual = usesReferenceLoops
                ? forward(tokens: tokens, batch: B, sequenceLength: T, lastLayer: config.layerCount - 1, visit: visit)
                : fastForward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: config.layerCount - 1, visit: visit)
            if let spliceError { throw spliceError }
            hiddenStates.append(rmsNorm(residual, weights.finalNorm))
        }
        return (weights.unembedding ?? weights.embedding).withUnsafeBufferPointer { unembedding in
            NextTokenComparison.compare(hiddenStates: hiddenStates, unembedding: unembedding.baseAddress!,
                                        V: config.vocabularySize, C: config.hiddenWidth, tokens: tokens, B: B, T: T,
                                        counted: counted, finalSoftCap: config.finalSoftCap)
        }
    }
}
