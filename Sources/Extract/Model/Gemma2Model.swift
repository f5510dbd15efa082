import Foundation

/// Gemma 2 forward pass (`Gemma2ForCausalLM`) in f32: the embedding scaled by √C, RMSNorm in the
/// (1 + w) form, a norm before and after both attention and the MLP, rotary embeddings,
/// grouped-query attention with q·k scaled by `query_pre_attn_scalar`^-0.5 and tanh soft-capped,
/// sliding-window (local) and global blocks alternating, the GeGLU MLP (gelu tanh), tied
/// unembedding and soft-capped final logits. Hooks as TransformerLens names them.
///
/// `hook_attn_out` and `hook_mlp_out` are the outputs of the post-norms
/// (post_attention_layernorm, post_feedforward_layernorm): what is added to the residual
/// stream, as TransformerLens places them; so `hook_resid_mid` = resid_pre + attn_out.
///
/// The forward runs on OpenBLAS (Gemma2Model+BLAS.swift, packed sequences). The plain loops
/// here, written to match transformers' eager attention step by step, are the reference that
/// path is tested against (`usesReferenceLoops`, `Gemma2FastPathTests`).
public final class Gemma2Model: DecoderLanguageModel {
    /// The architecture as config.json gave it (checked by `Gemma2Config.load`).
    public let config: Gemma2Config
    let weights: Gemma2Weights
    /// cos/sin of position × inverse frequency, (maxPositions, headWidth/2), in f32 as transformers.
    let cosines: [Float]
    let sines: [Float]
    /// Runs the plain loops instead of the BLAS path: the reference, for tests.
    var usesReferenceLoops = false

    /// Loads config.json and the weights (single file or sharded) from a model directory.
    public convenience init(directory: String) throws {
        let config = try Gemma2Config.load(path: (directory as NSString).appendingPathComponent("config.json"))
        try self.init(config: config, weights: Gemma2Weights.load(directory: directory, config: config))
    }

    init(config: Gemma2Config, weights: Gemma2Weights) throws {
        self.config = config
        self.weights = weights
        let D = config.headWidth, half = D / 2
        // Gemma2's default rope: inv_freq = 1 / θ^(2i/D), positions × inv_freq in f32.
        let frequencies = (0..<half).map { Float(1.0 / pow(config.ropeTheta, Double(2 * $0) / Double(D))) }
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

    /// Always `.gemma2`.
    public var family: ModelFamily { .gemma2 }
    /// config.json's `num_hidden_layers`.
    public var layerCount: Int { config.layerCount }
    /// config.json's `vocab_size`.
    public var vocabularySize: Int { config.vocabularySize }
    /// config.json's `max_position_embeddings`: the longest window a forward accepts.
    public var maxSequenceLength: Int { config.maxPositions }
    /// The six TransformerLens sites of a Gemma 2 block, resid_pre to resid_post.
    public var hookSites: [HookPoint.Site] { ModelFamily.gemma2.transformerLensSites }
    /// intermediate_size for `mlp.hook_post`, hidden_size for every other site.
    public func width(of hook: HookPoint) -> Int { hook.site == .mlpPost ? config.mlpWidth : config.hiddenWidth }
    /// q·k is multiplied by this before the soft-cap: `query_pre_attn_scalar`^-0.5 in f32.
    var attentionScale: Float { Float(pow(config.queryPreAttentionScalar, -0.5)) }

    /// Activations at `hooks` for a (B,T) batch of token ids: each a row-major (B,T,width) array.
    /// Runs blocks up to the last hooked layer only. Throws `LlamaModelError.invalidInput` for a
    /// bad batch, T above max_position_embeddings or an id past the vocabulary, and
    /// `ModelFamilyError`/`HookPointError` for a hook the model does not have.
    public func activations(tokens: [UInt32], batch: Int, sequenceLength: Int, hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        try checkInput(tokens: tokens, batch: batch, sequenceLength: sequenceLength)
        if usesReferenceLoops {
            return try collect(hooks) { lastLayer, visit in
                _ = forward(tokens: tokens, batch: batch, sequenceLength: sequenceLength, lastLayer: lastLayer, visit: visit)
            }
        }
        return try activations(tokens: tokens, sequenceLengths: Array(repeating: sequenceLength, count: batch), hooks: hooks)
    }

    /// Activations at `hooks` for sequences packed back to back (each at positions 0..<T): each a
    /// row-major (ΣT, width) array, row r the same as in a padded batch. Always the BLAS path.
    public func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        guard !sequenceLengths.isEmpty, sequenceLengths.allSatisfy({ $0 >= 1 && $0 <= config.maxPositions }) else {
            throw LlamaModelError.invalidInput(reason: "sequence lengths \(sequenceLengths): each must be 1...\(config.maxPositions) (max_position_embeddings)")
        }
        guard tokens.count == sequenceLengths.reduce(0, +) else {
            throw LlamaModelError.invalidInput(reason: "\(tokens.count) tokens given for sequences totalling \(sequenceLengths.reduce(0, +))")
        }
        try checkInput(tokens: tokens, batch: 1, sequenceLength: tokens.count, checkLength: false)
        return try collect(hooks) { lastLayer, visit in
            _ = fastForward(tokens: tokens, sequenceLengths: sequenceLengths, lastLayer: lastLayer, visit: visit)
        }
    }

    /// Checks `hooks`, runs `run(lastLayer, visit)` and keeps the hooked values.
    private func collect(_ hooks: [HookPoint], run: (Int, (HookPoint, inout [Float]) -> Void) -> Void) throws -> [HookPoint: [Float]] {
        for hook in hooks { _ = try hookPoint(named: hook.description) }
        guard let lastLayer = hooks.map(\.layer).max() else { return [:] }
        let wanted = Set(hooks)
        var result: [HookPoint: [Float]] = [:]
        run(lastLayer) { hook, values in if wanted.contains(hook) { result[hook] = values } }
        return result
    }

    /// Logits of every position after the final soft-cap: row-major (B,T,V).
    public func logits(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> [Float] {
        try checkInput(tokens: tokens, batch: batch, sequenceLength: sequenceLength)
        let last = config.layerCount - 1
        let residual = usesReferenceLoops
            ? forward(tokens: tokens, batch: batch, sequenceLength: sequenceLength, lastLayer: last) { _, _ in }
            : fastForward(tokens: tokens, sequenceLengths: Array(repeating: sequenceLength, count: batch), lastLayer: last) { _, _ in }
        let normed = rmsNorm(residual, weights.finalNorm)
        let unembedding = weights.unembedding ?? weights.embedding
        var logits = usesReferenceLoops
            ? Self.linear(normed, unembedding, outWidth: config.vocabularySize, inWidth: config.hiddenWidth)
            : LlamaModel.gemmLinear(normed, unembedding, outWidth: config.vocabularySize, inWidth: config.hiddenWidth)
        if let cap = config.finalSoftCap {
            for i in logits.indices { logits[i] = tanh(logits[i] / cap) * cap }
        }
        return logits
    }

    /// Mean next-token cross-entropy in nats/token over positions 0..<T-1 of every sequence, from
    /// the soft-capped logits (log-sum-exp in Double), as transformers' loss. Throws
    /// `LlamaModelError.invalidInput` for T below 2 and the input errors of `activations`.
    public func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float {
        guard sequenceLength >= 2 else { throw LlamaModelError.invalidInput(reason: "sequence length \(sequenceLength): the next-token loss needs at least 2 tokens per sequence") }
        return DecoderInput.meanNextTokenLoss(logits: try logits(tokens: tokens, batch: batch, sequenceLength: sequenceLength),
                                              tokens: tokens, batch: batch, sequenceLength: sequenceLength, vocabularySize: config.vocabularySize)
    }

    func checkInput(tokens: [UInt32], batch: Int, sequenceLength: Int, checkLength: Bool = true) throws {
        try DecoderInput.check(tokens: tokens, batch: batch, sequenceLength: sequenceLength, maxPositions: config.maxPositions,
                               vocabularySize: config.vocabularySize, checkLength: checkLength, invalidInput: LlamaModelError.invalidInput(reason:))
    }

    /// The reference: runs blocks 0...lastLayer on a (B,T) batch with plain loops and returns the
    /// residual stream (B·T, C); `visit` sees every hook's (B·T, width) values and may overwrite
    /// them in place (same length), the rest of the forward then running on what it left.
    func forward(tokens: [UInt32], batch B: Int, sequenceLength T: Int, lastLayer: Int,
                 visit: (HookPoint, inout [Float]) -> Void) -> [Float] {
        let C = config.hiddenWidth, H = config.mlpWidth, N = B * T
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        var x = [Float](repeating: 0, count: N * C)
        for (row, token) in tokens.enumerated() {
            for c in 0..<C { x[row * C + c] = weights.embedding[Int(token) * C + c] * weights.embeddingScale }
        }
        for l in 0...lastLayer {
            let layer = weights.layers[l]
            visit(HookPoint(layer: l, site: .residPre), &x)
            let h = rmsNorm(x, layer.inputNorm)
            var q = Self.linear(h, layer.query, outWidth: heads * D, inWidth: C)
            var k = Self.linear(h, layer.key, outWidth: kvHeads * D, inWidth: C)
            let v = Self.linear(h, layer.value, outWidth: kvHeads * D, inWidth: C)
            rotate(&q, headCount: heads, batch: B, sequenceLength: T)
            rotate(&k, headCount: kvHeads, batch: B, sequenceLength: T)
            let mixed = attend(q, k, v, batch: B, sequenceLength: T, window: config.slidingWindows[l])
            var attentionOut = rmsNorm(Self.linear(mixed, layer.output, outWidth: C, inWidth: heads * D), layer.postAttentionNorm)
            visit(HookPoint(layer: l, site: .attnOut), &attentionOut)
            for i in 0..<(N * C) { x[i] += attentionOut[i] }
            visit(HookPoint(layer: l, site: .residMid), &x)
            let h2 = rmsNorm(x, layer.preFeedforwardNorm)
            let gate = Self.linear(h2, layer.gate, outWidth: H, inWidth: C)
            var hidden = Self.linear(h2, layer.up, outWidth: H, inWidth: C)
            for i in 0..<(N * H) { hidden[i] *= Self.geluTanh(gate[i]) }
            visit(HookPoint(layer: l, site: .mlpPost), &hidden)
            var mlpOut = rmsNorm(Self.linear(hidden, layer.down, outWidth: C, inWidth: H), layer.postFeedforwardNorm)
            visit(HookPoint(layer: l, site: .mlpOut), &mlpOut)
            for i in 0..<(N * C) { x[i] += mlpOut[i] }
            visit(HookPoint(layer: l, site: .residPost), &x)
        }
        return x
    }

    /// x · rsqrt(mean(x²) + ε) · (1 + w), per row, in f32 as transformers' Gemma2RMSNorm (the
    /// stored weight is an offset from 1, so a zero-initialised norm is the identity scale).
    func rmsNorm(_ x: [Float], _ weight: [Float]) -> [Float] {
        let C = weight.count
        var out = x
        for row in 0..<(x.count / C) {
            var sumOfSquares: Float = 0
            for c in 0..<C { sumOfSquares += x[row * C + c] * x[row * C + c] }
            let scale = 1 / (sumOfSquares / Float(C) + config.rmsNormEpsilon).squareRoot()
            for c in 0..<C { out[row * C + c] = (x[row * C + c] * scale) * (1 + weight[c]) }
        }
        return out
    }

    /// gelu_pytorch_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), with libm's tanh.
    static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + tanh(Kernels.sqrtTwoOverPi * (x + 0.044715 * x * x * x)))
    }

    /// x (rows, inWidth) · Wᵀ (W: outWidth × inWidth).
    static func linear(_ x: [Float], _ w: [Float], outWidth: Int, inWidth: Int) -> [Float] {
        let rows = x.count / inWidth
        var out = [Float](repeating: 0, count: rows * outWidth)
        for row in 0..<rows {
            for o in 0..<outWidth {
                var sum: Float = 0
                for i in 0..<inWidth { sum += x[row * inWidth + i] * w[o * inWidth + i] }
                out[row * outWidth + o] = sum
            }
        }
        return out
    }

    /// Rotary embedding in transformers' rotate_half layout (dimension i pairs with i + D/2) on
    /// (B·T, headCount, D) values, position t of each sequence.
    private func rotate(_ values: inout [Float], headCount: Int, batch B: Int, sequenceLength T: Int) {
        let D = config.headWidth, half = D / 2
        for row in 0..<(B * T) {
            let t = row % T
            for head in 0..<headCount {
                let base = (row * headCount + head) * D
                for i in 0..<half {
                    let c = cosines[t * half + i], s = sines[t * half + i]
                    let first = values[base + i], second = values[base + i + half]
                    values[base + i] = first * c - second * s
                    values[base + i + half] = second * c + first * s
                }
            }
        }
    }

    /// Causal attention as transformers' eager Gemma 2 attention: scores q·k·scale, then
    /// tanh(s/cap)·cap, then the (sliding) causal mask and softmax; query head h reads kv head
    /// h / (heads / kvHeads), query t the keys `AttentionWindow.firstKeyPosition(t, window)`...t.
    private func attend(_ q: [Float], _ k: [Float], _ v: [Float], batch B: Int, sequenceLength T: Int, window: Int?) -> [Float] {
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        let group = heads / kvHeads, scale = attentionScale
        var out = [Float](repeating: 0, count: B * T * heads * D)
        var scores = [Float](repeating: 0, count: T)
        for b in 0..<B {
            for head in 0..<heads {
                let kvHead = head / group
                for t in 0..<T {
                    let qBase = ((b * T + t) * heads + head) * D
                    let firstKey = AttentionWindow.firstKeyPosition(queryPosition: t, window: window)
                    var maximum = -Float.infinity
                    for s in firstKey...t {
                        let kBase = ((b * T + s) * kvHeads + kvHead) * D
                        var dot: Float = 0
                        for d in 0..<D { dot += q[qBase + d] * k[kBase + d] }
                        var score = dot * scale
                        if let cap = config.attentionSoftCap { score = tanh(score / cap) * cap }
                        scores[s] = score
                        maximum = max(maximum, score)
                    }
                    var sum: Float = 0
                    for s in firstKey...t {
                        scores[s] = exp(scores[s] - maximum)
                        sum += scores[s]
                    }
                    for s in firstKey...t {
                        let weight = scores[s] / sum
                        let vBase = ((b * T + s) * kvHeads + kvHead) * D
                        for d in 0..<D { out[qBase + d] += weight * v[vBase + d] }
                    }
                }
            }
        }
        return out
    }
}
