import Foundation

/// GPT-NeoX forward pass (Pythia, GPT-NeoX-20B) in f32: LayerNorm with bias, the fused
/// head-interleaved `query_key_value`, partial rotary embeddings (`rotary_pct`) in NeoX's
/// rotate_half layout, parallel (Pythia) or sequential residual, GELU MLP with biases, untied
/// `embed_out`. Hooks as TransformerLens names them.
///
/// The forward runs on OpenBLAS (NeoXModel+BLAS.swift: sgemm for every projection and the MLP
/// over the whole batch, packed sequences). The plain loops of NeoXModel+Reference.swift, written
/// to match transformers' `GPTNeoXForCausalLM` (eager attention) step by step, are the reference
/// that path is tested against (`usesReferenceLoops`); the parity tests hold both to transformers
/// at 1e-5 relative on every hook.
public final class NeoXModel: DecoderLanguageModel {
    /// The architecture as config.json gave it (checked by `NeoXConfig.load`).
    public let config: NeoXConfig
    let weights: NeoXWeights
    /// cos/sin of position × inverse frequency, (maxPositions, rotaryWidth/2), in f32 as transformers.
    let cosines: [Float]
    let sines: [Float]
    /// Runs the plain loops instead of the BLAS path: the reference, for tests.
    var usesReferenceLoops = false

    /// Loads config.json and the weights (single file or sharded) from a model directory.
    public convenience init(directory: String) throws {
        let config = try NeoXConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        try self.init(config: config, weights: NeoXWeights.load(directory: directory, config: config))
    }

    init(config: NeoXConfig, weights: NeoXWeights) throws {
        self.config = config
        self.weights = weights
        let half = config.rotaryWidth / 2
        let frequencies = config.inverseFrequencies().map { Float($0) }
        var cosines = [Float](repeating: 0, count: config.maxPositions * half)
        var sines = cosines
        for position in 0..<config.maxPositions {
            for index in 0..<half {
                let angle = Float(position) * frequencies[index]
                cosines[position * half + index] = cos(angle)
                sines[position * half + index] = sin(angle)
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// Always `.gptNeoX`.
    public var family: ModelFamily { .gptNeoX }
    /// config.json's `num_hidden_layers`.
    public var layerCount: Int { config.layerCount }
    /// config.json's `vocab_size`.
    public var vocabularySize: Int { config.vocabularySize }
    /// config.json's `max_position_embeddings`: the longest window a forward accepts.
    public var maxSequenceLength: Int { config.maxPositions }
    /// The family's sites (`ModelFamily.gptNeoX`), plus `hook_resid_mid` after `hook_attn_out`
    /// when the residual is sequential (`use_parallel_residual` false): only then does a
    /// residual stream exist between attention and MLP.
    public var hookSites: [HookPoint.Site] {
        var sites = ModelFamily.gptNeoX.transformerLensSites
        if !config.usesParallelResidual, let attention = sites.firstIndex(of: .attnOut) {
            sites.insert(.residMid, at: attention + 1)
        }
        return sites
    }
    /// intermediate_size for `mlp.hook_post`, hidden_size for every other site.
    public func width(of hook: HookPoint) -> Int { hook.site == .mlpPost ? config.mlpWidth : config.hiddenWidth }

    /// Activations at `hooks` for a (B,T) batch of token ids: each a row-major (B,T,width) array.
    /// Runs blocks up to the last hooked layer only. Throws `NeoXModelError.invalidInput` when
    /// `tokens.count` is not B·T, T is above max_position_embeddings or an id is past the
    /// vocabulary, and `ModelFamilyError`/`HookPointError` for a hook the model does not have.
    public func activations(tokens: [UInt32], batch: Int, sequenceLength: Int, hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        try checkInput(tokens: tokens, batch: batch, sequenceLength: sequenceLength)
        for hook in hooks { _ = try hookPoint(named: hook.description) }
        guard let lastLayer = hooks.map(\.layer).max() else { return [:] }
        let wanted = Set(hooks)
        var result: [HookPoint: [Float]] = [:]
        let keep: (HookPoint, inout [Float]) -> Void = { hook, values in
            if wanted.contains(hook) { result[hook] = values }
        }
        if usesReferenceLoops {
            _ = forward(tokens: tokens, batch: batch, sequenceLength: sequenceLength, lastLayer: lastLayer, visit: keep)
        } else {
            _ = fastForward(tokens: tokens, sequenceLengths: Array(repeating: sequenceLength, count: batch), lastLayer: lastLayer, visit: keep)
        }
        return result
    }

    /// Activations at `hooks` for sequences packed back to back (`tokens` holds Σ sequenceLengths
    /// ids, each sequence at positions 0..<T): each a row-major (ΣT, width) array, row r the
    /// same as in a padded batch. Always the BLAS path.
    public func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        guard !sequenceLengths.isEmpty, sequenceLengths.allSatisfy({ $0 >= 1 && $0 <= config.maxPositions }) else {
            throw NeoXModelError.invalidInput(reason: "sequence lengths \(sequenceLengths): each must be 1...\(config.maxPositions) (max_position_embeddings)")
        }
        guard tokens.count == sequenceLengths.reduce(0, +) else {
            throw NeoXModelError.invalidInput(reason: "\(tokens.count) tokens given for sequences totalling \(sequenceLengths.reduce(0, +))")
        }
        try checkInput(tokens: tokens, batch: 1, sequenceLength: tokens.count, checkLength: false)
        for hook in hooks { _ = try hookPoint(named: hook.description) }
        guard let lastLayer = hooks.map(\.layer).max() else { return [:] }
        let wanted = Set(hooks)
        var result: [HookPoint: [Float]] = [:]
        _ = fastForward(tokens: tokens, sequenceLengths: sequenceLengths, lastLayer: lastLayer) { hook, values in
            if wanted.contains(hook) { result[hook] = values }
        }
        return result
    }

    /// The final LayerNorm of every row of a residual stream (rows, C), as the unembedding reads it.
    func finalNorm(_ residual: [Float]) -> [Float] {
        usesReferenceLoops ? layerNorm(residual, weights.finalNormWeight, weights.finalNormBias)
                           : fastLayerNorm(residual, weights.finalNormWeight, weights.finalNormBias)
    }

    /// Logits of every position: row-major (B,T,V).
    public func logits(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> [Float] {
        try checkInput(tokens: tokens, batch: batch, sequenceLength: sequenceLength)
        let unembedding = weights.unembedding ?? weights.embedding
        if usesReferenceLoops {
            let residual = forward(tokens: tokens, batch: batch, sequenceLength: sequenceLength, lastLayer: config.layerCount - 1) { _, _ in }
            return linear(finalNorm(residual), unembedding, outWidth: config.vocabularySize, inWidth: config.hiddenWidth)
        }
        let residual = fastForward(tokens: tokens, sequenceLengths: Array(repeating: sequenceLength, count: batch),
                                   lastLayer: config.layerCount - 1) { _, _ in }
        return LlamaModel.gemmLinear(finalNorm(residual), unembedding, outWidth: config.vocabularySize, inWidth: config.hiddenWidth)
    }

    /// Mean next-token cross-entropy in nats/token over positions 0..<T-1 of every sequence,
    /// from the full logits (log-sum-exp in Double). Throws `NeoXModelError.invalidInput` for
    /// T below 2 and the input errors of `activations`.
    public func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float {
        guard sequenceLength >= 2 else { throw NeoXModelError.invalidInput(reason: "sequence length \(sequenceLength): the next-token loss needs at least 2 tokens per sequence") }
        return DecoderInput.meanNextTokenLoss(logits: try logits(tokens: tokens, batch: batch, sequenceLength: sequenceLength),
                                              tokens: tokens, batch: batch, sequenceLength: sequenceLength, vocabularySize: config.vocabularySize)
    }

    func checkInput(tokens: [UInt32], batch: Int, sequenceLength: Int, checkLength: Bool = true) throws {
        try DecoderInput.check(tokens: tokens, batch: batch, sequenceLength: sequenceLength, maxPositions: config.maxPositions,
                               vocabularySize: config.vocabularySize, checkLength: checkLength, invalidInput: NeoXModelError.invalidInput(reason:))
    }

    /// Rotary embedding on the fused (rows, 3C) projection, in place: in every head the first
    /// rotaryWidth floats of the query and of the key, dimension i paired with i + rotaryWidth/2
    /// (transformers' rotate_half on the rotated slice); positions restart at 0 in every packed
    /// sequence. The remaining floats of each head pass unrotated.
    // qkv: (ΣT, NH, 3, D)
    func rotate(_ qkv: inout [Float], sequenceLengths: [Int]) {
        let C = config.hiddenWidth, D = config.headWidth, half = config.rotaryWidth / 2
        qkv.withUnsafeMutableBufferPointer { qkv in
            var row = 0
            for T in sequenceLengths {
                for t in 0..<T {
                    defer { row += 1 }
                    for head in 0..<config.headCount {
                        for part in 0..<2 {  // query, then key
                            let base = row * 3 * C + head * 3 * D + part * D
                            for i in 0..<half {
                                let c = cosines[t * half + i], s = sines[t * half + i]
                                let first = qkv[base + i], second = qkv[base + i + half]
                                qkv[base + i] = first * c - second * s
                                qkv[base + i + half] = second * c + first * s
                            }
                        }
                    }
                }
            }
        }
    }
}
