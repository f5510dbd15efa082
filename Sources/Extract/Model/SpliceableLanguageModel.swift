/// A `DecoderLanguageModel` whose hook activations can be replaced in the middle of the forward
/// pass, so the rest of the model runs on the replacement: what downstream evaluation (CE loss
/// recovered, KL; docs/EVALUATION.md) needs. GPT-2 and the Llama family adopt it; a family that
/// only reads activations (ingest) need not, and `saestore evaluate --model` refuses it naming
/// the family and the hook.
public protocol SpliceableLanguageModel: DecoderLanguageModel {
    /// Runs `tokens` (B·T ids, row-major) once per entry of `transforms` (nil: untouched, the
    /// clean run; the first entry is the reference of the KL divergences) with the `hook`
    /// activation, a row-major (B·T, width) array, replaced by `transform(activation)`, and
    /// compares the next-token distributions at the positions t < T−1 of each sequence where
    /// `counted[b * (T−1) + t]` holds. A transform must keep the array's length. Throws the
    /// family's invalid-input error for bad tokens, T < 2 or a wrong `counted` length, and
    /// `ModelFamilyError`/`HookPointError` for a hook the model does not have.
    func compareNextTokens(tokens: [UInt32], batch: Int, sequenceLength: Int, hook: HookPoint,
                           transforms: [((inout [Float]) -> Void)?], counted: [Bool]) throws -> NextTokenComparison
}
