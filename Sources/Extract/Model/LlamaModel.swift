import Foundation

/// Llama-family forward pass (Llama 2/3.x, SmolLM, Qwen2/2.5, Mistral) in f32: RMSNorm, rotary
/// embeddings (`rope_theta`, Llama 3 `rope_scaling`), grouped-query attention with an optional
/// sliding window, SwiGLU MLP, optional qkv biases, tied or untied unembedding. Hooks as TransformerLens names them.
///
/// The forward runs on OpenBLAS (LlamaModel+BLAS.swift: sgemm for every projection and the
/// MLP over the whole batch, packed sequences). The plain loops here, written to match
/// transformers' `LlamaForCausalLM` / `Qwen2ForCausalLM` (eager attention) step by step, are the
/// reference that path is tested against (`usesReferenceLoops`); the parity tests hold both to
/// transformers at 1e-5 relative on every hook.
public final class LlamaModel: DecoderLanguageModel {
    /// The architecture as config.json gave it (checked by `LlamaConfig.load`).
    public let config: LlamaConfig
    let weights: LlamaWeights
    /// cos/sin of position × inverse frequency, (maxPositions, headWidth/2), in f32 as transformers.
    let cosines: [Float]
    let sines: [Float]
    /// Runs the plain loops instead of the BLAS path: the reference, for tests.
    var usesReferenceLoops = false

    /// Loads config.json and the weights (single file or sharded) from a model directory.
    public convenience init(directory: String) throws {
        let config = try LlamaConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        try self.init(config: config, weights: LlamaWeights.load(directory: directory, config: config))
    }

    init(config: LlamaConfig, weights: LlamaWeights) throws {
        self.config = config
        self.weights = weights
        let half = config.headWidth / 2
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

    /// Always `.llama`: Qwen2 and Mistral run as Llama with their config's options.
    public var family: ModelFamily { .llama }
    /// config.json's `num_hidden_layers`.
    public var layerCount: Int { config.layerCount }
    /// config.json's `vocab_size`.
    public var vocabularySize: Int { config.vocabularySize }
    /// config.json's `max_position_embeddings`: the longest window a forward accepts.
    public var maxSequenceLength: Int { config.maxPositions }
    /// The eight TransformerLens sites of a Llama block, resid_pre to resid_post; the ln hooks
    /// are the RMSNorms' outputs with their weight applied (what q/k/v and gate/up read).
    public var hookSites: [HookPoint.Site] { ModelFamily.llama.transformerLensSites }
    /// intermediate_size for `mlp.hook_post`, hidden_size for every other site.
    public func width(of hook: HookPoint) -> Int { hook.site == .mlpPost ? config.mlpWidth : config.hiddenWidth }

    /// Activations at `hooks` for a (B,T) batch of token ids: each a row-major (B,T,width) array.
    /// Runs blocks up to the last hooked layer only. Throws `LlamaModelError.invalidInput` when
    /// `tokens.count` is not B·T, T is above max_position_embeddings or an id is past the
    /// vocabulary, and `ModelFamilyError`/`HookPointError` for a hook the model does not have.
    public func activations(tokens: [UInt32], batch: Int, sequenceLength: Int, hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        try checkInput(tokens: tokens, batch: batch, sequenceLength: sequenceLength)
        for hook in hooks { _ = try hookPoint(named: hook.description) }
        var result: [HookPoint: [Float]] = [:]
        let wanted = Set(hooks)
        guard let lastLayer = hooks.map(\.layer).max() else { return [:] }
        if usesReferenceLoops {
            _ = forward(tokens: tokens, batch: batch, sequenceLength: sequenceLength, lastLayer: lastLayer) { hook, values in
                if wanted.contains(hook) { result[hook] = values }
            }
        } else {
            _ = fastForward(tokens: tokens, sequenceLengths: Array(repeating: sequenceLength, count: batch), lastLayer: lastLayer) { hook, values in
                if wanted.contains(hook) { result[hook] = values }
            }
        }
        return result
    }

    /// Activations at `hooks` for sequences packed back to back (`tokens` holds Σ sequenceLengths
    /// ids, each sequence at positions 0..<T): each a row-major (ΣT, width) array, row r the
    /// same as in a padded batch. Always the BLAS path.
    public func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        guard !sequenceLengths.isEmpty, sequenceLengths.allSatisfy({ $0 >= 1 && $0 <= config.maxPositions }) else {
            throw LlamaModelError.invalidInput(reason: "sequence lengths \(sequenceLengths): each must be 1...\(config.maxPositions) (max_position_embeddings)")
        }
        guard tokens.count == sequenceLengths.reduce(0, +) else {
            throw LlamaModelError.invalidInput(reason: "\(tokens.count) tokens given for sequences totalling \(sequenceLengths.reduce(0, +))")
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

    /// Logits of every position: row-major (B,T,V).
    public func logits(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> [Float] {
        try checkInput(tokens: tokens, batch: batch, sequenceLength: sequenceLength)
        let unembedding = weights.unembedding ?? weights.embedding
        if usesReferenceLoops {
            let residual = forward(tokens: tokens, batch: batch, sequenceLength: sequenceLength, lastLayer: config.layerCount - 1) { _, _ in }
            return linear(rmsNorm(residual, weights.finalNorm), unembedding, outWidth: config.vocabularySize, inWidth: config.hiddenWidth)
        }
        let residual = fastForward(tokens: tokens, sequenceLengths: Array(repeating: sequenceLength, count: batch),
                                   lastLayer: config.layerCount - 1) { _, _ in }
        return Self.gemmLinear(rmsNorm(residual, weights.finalNorm), unembedding, outWidth: config.vocabularySize, inWidth: config.hiddenWidth)
    }

    /// Mean next-token cross-entropy in nats/token over positions 0..<T-1 of every sequence,
    /// from the full logits (log-sum-exp in Double). Throws `LlamaModelError.invalidInput` for
    /// T below 2 and the input errors of `activations`.
    public func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float {
        guard sequenceLength >= 2 else { throw LlamaModelError.invalidInput(reason: "sequence length \(sequenceLength): the next-token loss needs at least 2 tokens per sequence") }
        return DecoderInput.meanNextTokenLoss(logits: try logits(tokens: tokens, batch: batch, sequenceLength: sequenceLength),
                                              tokens: tokens, batch: batch, sequenceLength: sequenceLength, vocabularySize: config.vocabularySize)
    }

    func checkInput(tokens: [UInt32], batch: Int, sequenceLength: Int, checkLength: Bool = true) throws {
        try DecoderInput.check(tokens: tokens, batch: batch, sequenceLength: sequenceLength, maxPositions: config.maxPositions,
                               vocabularySize: config.vocabularySize, checkLength: checkLength, invalidInput: LlamaModelError.invalidInput(reason:))
    }

    /// Runs blocks 0...lastLayer and returns the residual stream (B·T, C); `visit` sees every
    /// hook's (B·T, width) values and may overwrite them in place (same length), the rest of the
    /// forward then running on what it left.
    func forward(tokens: [UInt32], batch B: Int, sequenceLength T: Int, lastLayer: Int,
                 visit: (HookPoint, inout [Float]) -> Void) -> [Float] {
        let C = config.hiddenWidth, H = config.mlpWidth, N = B * T
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        var x = [Float](repeating: 0, count: N * C)
        for (row, token) in tokens.enumerated() {
            for c in 0..<C { x[row * C + c] = weights.embedding[Int(token) * C + c] }
        }
        for l in 0...lastLayer {
            let layer = weights.layers[l]
            visit(HookPoint(layer: l, site: .residPre), &x)
            var h = rmsNorm(x, layer.inputNorm)
            visit(HookPoint(layer: l, site: .ln1Normalized), &h)
            var q = linear(h, layer.query, outWidth: heads * D, inWidth: C, bias: layer.queryBias)
            var k = linear(h, layer.key, outWidth: kvHeads * D, inWidth: C, bias: layer.keyBias)
            let v = linear(h, layer.value, outWidth: kvHeads * D, inWidth: C, bias: layer.valueBias)
            rotate(&q, headCount: heads, batch: B, sequenceLength: T)
            rotate(&k, headCount: kvHeads, batch: B, sequenceLength: T)
            let mixed = attend(q, k, v, batch: B, sequenceLength: T, window: config.slidingWindows[l])
            var attentionOut = linear(mixed, layer.output, outWidth: C, inWidth: heads * D)
            visit(HookPoint(layer: l, site: .attnOut), &attentionOut)
            for i in 0..<(N * C) { x[i] += attentionOut[i] }
            visit(HookPoint(layer: l, site: .residMid), &x)
            var h2 = rmsNorm(x, layer.postAttentionNorm)
            visit(HookPoint(layer: l, site: .ln2Normalized), &h2)
            let gate = linear(h2, layer.gate, outWidth: H, inWidth: C)
            var hidden = linear(h2, layer.up, outWidth: H, inWidth: C)
            for i in 0..<(N * H) { hidden[i] *= gate[i] / (1 + exp(-gate[i])) }
            visit(HookPoint(layer: l, site: .mlpPost), &hidden)
            var mlpOut = linear(hidden, layer.down, outWidth: C, inWidth: H)
            visit(HookPoint(layer: l, site: .mlpOut), &mlpOut)
            for i in 0..<(N * C) { x[i] += mlpOut[i] }
            visit(HookPoint(layer: l, site: .residPost), &x)
        }
        return x
    }

    /// x · rsqrt(mean(x²) + ε) · weight, per row, in f32 as transformers' LlamaRMSNorm.
    func rmsNorm(_ x: [Float], _ weight: [Float]) -> [Float] {
        let C = weight.count
        var out = x
        for row in 0..<(x.count / C) {
            var sumOfSquares: Float = 0
            for c in 0..<C { sumOfSquares += x[row * C + c] * x[row * C + c] }
            let scale = 1 / (sumOfSquares / Float(C) + config.rmsNormEpsilon).squareRoot()
            for c in 0..<C { out[row * C + c] = weight[c] * (x[row * C + c] * scale) }
        }
        return out
    }

    /// x (rows, inWidth) · Wᵀ (W: outWidth × inWidth) + bias.
    private func linear(_ x: [Float], _ w: [Float], outWidth: Int, inWidth: Int, bias: [Float]? = nil) -> [Float] {
        let rows = x.count / inWidth
        var out = [Float](repeating: 0, count: rows * outWidth)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                for row in 0..<rows {
                    for o in 0..<outWidth {
                        var sum: Float = 0
                        for i in 0..<inWidth { sum += x[row * inWidth + i] * w[o * inWidth + i] }
                        out[row * outWidth + o] = sum + (bias?[o] ?? 0)
                    }
                }
            }
        }
        return out
    }

    /// Rotary embedding in transformers' rotate_half layout: dimension i pairs with i + D/2.
    private func rotate(_ values: inout [Float], headCount: Int, batch B: Int, sequenceLength T: Int) {
        let D = config.headWidth, half = D / 2
        for b in 0..<B {
            for t in 0..<T {
                for head in 0..<headCount {
                    let base = ((b * T + t) * headCount + head) * D
                    for i in 0..<half {
                        let c = cosines[t * half + i], s = sines[t * half + i]
                        let first = values[base + i], second = values[base + i + half]
                        values[base + i] = first * c - second * s
                        values[base + i + half] = second * c + first * s
                    }
                }
            }
        }
    }

    /// Causal softmax attention; query head h reads key/value head h / (heads / kvHeads). With a
    /// sliding `window`, query t reads keys `AttentionWindow.firstKeyPosition(t, window)`...t only.
    private func attend(_ q: [Float], _ k: [Float], _ v: [Float], batch B: Int, sequenceLength T: Int, window: Int?) -> [Float] {
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        let group = heads / kvHeads
        let scale = 1 / Float(D).squareRoot()
        var out = [Float](repeating: 0, count: B * T * heads * D)
        var scores = [Float](repeating: 0, count: T)
        for b in 0..<B {
            for head in 0..<heads {
                let kvHead = head / group
                for t in 0..<T {
                    let qBase = ((b * T + t) * heads + head) * D
                    let first = AttentionWindow.firstKeyPosition(queryPosition: t, window: window)
                    var maximum = -Float.infinity
                    for s in first...t {
                        let kBase = ((b * T + s) * kvHeads + kvHead) * D
                        var dot: Float = 0
                        for d in 0..<D { dot += q[qBase + d] * k[kBase + d] }
                        scores[s] = dot * scale
                        maximum = max(maximum, scores[s])
                    }
                    var sum: Float = 0
                    for s in first...t {
                        scores[s] = exp(scores[s] - maximum)
                        sum += scores[s]
                    }
                    for s in first...t {
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
