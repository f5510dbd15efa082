import Foundation
import BLASKernels

/// GPT-2 forward pass in f32 on OpenBLAS, with SAELens hook points that can be read
/// (`activations`) or replaced (`nextTokenLoss(replacing:with:)`).
///
/// Not thread-safe: one instance owns reusable scratch buffers, so give each thread its own
/// model (they may share nothing else either; weights are copied in at init).
public final class GPT2Model {
    /// The architecture the weights were checked against (validated before the model is built).
    public let config: GPT2Config
    let parameters: ParameterArena

    // Scratch, grown on demand and reused across calls.
    let residual = ScratchBuffer()      // (N,C)
    let normed = ScratchBuffer()        // (N,C) LayerNorm output
    let qkv = ScratchBuffer()           // (N,3C)
    let attentionMixed = ScratchBuffer()  // (N,C) heads' weighted values, before c_proj
    let branchOut = ScratchBuffer()     // (N,C) attn or mlp output when a hook needs it alone
    let hidden = ScratchBuffer()        // (N,H) MLP hidden, GELU applied in place
    let scores = ScratchBuffer()        // (T,T)
    let logitRows = ScratchBuffer()     // (lossChunkRows,V)

    /// Rows of logits materialised at once while computing the loss: bounds memory at
    /// lossChunkRows·V floats (12.9 MB for gpt2) whatever B and T are.
    static let lossChunkRows = 64

    /// Copies `weights` in; throws if any array's size disagrees with `config`.
    public init(config: GPT2Config, weights: GPT2Weights) throws {
        try config.validate()
        try weights.validate(for: config)
        self.config = config
        self.parameters = ParameterArena(weights)
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model directory.
    public convenience init(directory: String) throws {
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
        let config = try GPT2Config.load(path: configPath)
        try self.init(config: config, weights: GPT2Weights.load(path: weightsPath, config: config))
    }

    /// Loads the model from resolved hub / local files (see `HFModelLocator`).
    public convenience init(files: ModelFiles) throws {
        let config = try GPT2Config.load(path: files.configPath)
        try self.init(config: config, weights: GPT2Weights.load(path: files.weightsPath, config: config))
    }

    // MARK: - Public forward calls

    /// Activations at `hooks` for `tokens` (B·T ids, row-major). Runs only the blocks the
    /// hooks need. Each value is a row-major (B,T,width) array.
    public func activations(tokens: [UInt32], batch B: Int, sequenceLength T: Int,
                            hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        try checkInput(tokens: tokens, B: B, T: T)
        for hook in hooks { try hook.validate(for: config) }
        guard let lastLayer = hooks.map(\.lastLayerNeeded).max() else { return [:] }
        var result: [HookPoint: [Float]] = [:]
        forward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: lastLayer, hooks: Set(hooks)) { hook, buffer in
            result[hook] = Array(buffer)
        }
        return result
    }

    /// Activations at `hooks` for sequences of different lengths packed back to back in `tokens`
    /// (sequence s is the `sequenceLengths[s]` ids after the ones before it): nothing is padded,
    /// so no position is computed that is not asked for. Each value holds ΣT rows of its hook's
    /// width in the same order. Causal attention makes every row equal to the row of the same
    /// sequence run alone, or padded at its end.
    public func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]] {
        guard !sequenceLengths.isEmpty, let longest = sequenceLengths.max(), let shortest = sequenceLengths.min(), shortest >= 1 else {
            throw GPT2ModelError.invalidInput(reason: "sequence lengths \(sequenceLengths): give at least one, each at least 1")
        }
        try checkInput(tokens: tokens, B: 1, T: longest, count: sequenceLengths.reduce(0, +))
        for hook in hooks { try hook.validate(for: config) }
        guard let lastLayer = hooks.map(\.lastLayerNeeded).max() else { return [:] }
        var result: [HookPoint: [Float]] = [:]
        forward(tokens: tokens, sequenceLengths: sequenceLengths, lastLayer: lastLayer, hooks: Set(hooks)) { hook, buffer in
            result[hook] = Array(buffer)
        }
        return result
    }

    /// Logits of every position: row-major (B,T,V).
    public func logits(tokens: [UInt32], batch B: Int, sequenceLength T: Int) throws -> [Float] {
        try checkInput(tokens: tokens, B: B, T: T)
        let N = B * T, C = config.embeddingWidth, V = config.vocabularySize
        forward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: config.layerCount - 1, hooks: []) { _, _ in }
        let normedRows = finalNorm(N: N)
        return [Float](unsafeUninitializedCapacity: N * V) { out, initialized in
            // logits = ln_f(x) · Wᵀ with W the (V,C) unembedding.
            BLAS.sgemm(out.baseAddress!, ldc: V, normedRows, lda: C, parameters.unembedding, ldb: C,
                       transposeB: true, m: N, n: V, k: C)
            initialized = N * V
        }
    }

    /// Mean next-token cross-entropy in nats/token over positions 0..<T-1 of every sequence.
    /// With `hook` and `transform`, the hook's (B,T,width) activation is replaced by
    /// `transform(activation)` before the rest of the forward pass runs (SAE splicing,
    /// ablations). `transform` must keep the array's length.
    public func nextTokenLoss(tokens: [UInt32], batch B: Int, sequenceLength T: Int,
                              replacing hook: HookPoint? = nil,
                              with transform: ((inout [Float]) -> Void)? = nil) throws -> Float {
        try checkInput(tokens: tokens, B: B, T: T)
        guard T >= 2 else {
            throw GPT2ModelError.invalidInput(reason: "sequence length \(T): the next-token loss needs at least 2 tokens per sequence")
        }
        var hooks: Set<HookPoint> = []
        if let hook, transform != nil {
            try hook.validate(for: config)
            hooks.insert(hook)
        }
        var spliceError: GPT2ModelError?
        forward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: config.layerCount - 1, hooks: hooks) { hook, buffer in
            guard let transform else { return }
            var activation = Array(buffer)
            transform(&activation)
            guard activation.count == buffer.count else {
                spliceError = .invalidInput(reason: "the transform for \(hook) changed the activation from \(buffer.count) to \(activation.count) floats")
                return
            }
            _ = activation.withUnsafeBufferPointer { buffer.update(fromContentsOf: $0) }
        }
        if let spliceError { throw spliceError }

        let C = config.embeddingWidth, V = config.vocabularySize
        let normedRows = finalNorm(N: B * T)
        let chunkRows = Self.lossChunkRows
        let logitChunk = logitRows.reserve(chunkRows * V)
        var totalLoss: Double = 0
        tokens.withUnsafeBufferPointer { tokenIDs in
            for b in 0..<B {
                var t0 = 0
                while t0 < T - 1 {
                    let rows = min(chunkRows, T - 1 - t0)
                    let firstRow = b * T + t0
                    BLAS.sgemm(logitChunk, ldc: V, normedRows + firstRow * C, lda: C,
                               parameters.unembedding, ldb: C, transposeB: true, m: rows, n: V, k: C)
                    // The target of position t is the token at t+1 of the same sequence.
                    totalLoss += Kernels.crossEntropySum(logitChunk, targets: tokenIDs.baseAddress! + firstRow + 1,
                                                         N: rows, V: V)
                    t0 += rows
                }
            }
        }
        return Float(totalLoss / Double(B * (T - 1)))
    }

    // MARK: - Forward core

    /// `count`: the number of ids expected (B·T unless the sequences are packed).
    func checkInput(tokens: [UInt32], B: Int, T: Int, count: Int? = nil) throws {
        guard B >= 1, T >= 1 else {
            throw GPT2ModelError.invalidInput(reason: "batch \(B) × sequence length \(T): both must be at least 1")
        }
        guard T <= config.maxPositions else {
            throw GPT2ModelError.invalidInput(reason: "sequence length \(T) exceeds the model's n_positions \(config.maxPositions)")
        }
        if let count {
            guard tokens.count == count else {
                throw GPT2ModelError.invalidInput(reason: "\(tokens.count) tokens given for sequences of \(count) tokens in all")
            }
        } else if tokens.count != B * T {
            throw GPT2ModelError.invalidInput(reason: "\(tokens.count) tokens given for batch \(B) × sequence length \(T) = \(B * T)")
        }
        if let index = tokens.firstIndex(where: { Int($0) >= config.vocabularySize }) {
            throw GPT2ModelError.invalidInput(reason: "token id \(tokens[index]) at index \(index) is outside the vocabulary (size \(config.vocabularySize))")
        }
    }

    /// Runs blocks 0...lastLayer over sequences packed back to back (N = ΣT rows), leaving the
    /// residual stream in `residual`, and hands each requested hook's live buffer to `visit`,
    /// which may read or overwrite it. Every step but attention works row by row, so packing
    /// changes nothing but the work not done.
    func forward(tokens: [UInt32], sequenceLengths: [Int], lastLayer: Int, hooks: Set<HookPoint>,
                 visit: (HookPoint, UnsafeMutableBufferPointer<Float>) -> Void) {
        let N = sequenceLengths.reduce(0, +), T = sequenceLengths.max() ?? 0
        let C = config.embeddingWidth, H = config.mlpWidth, NH = config.headCount
        let x = residual.reserve(N * C)
        let ln = normed.reserve(N * C)
        let qkvRows = qkv.reserve(N * 3 * C)
        let mixed = attentionMixed.reserve(N * C)
        let hiddenRows = hidden.reserve(N * H)
        let scoreMatrix = scores.reserve(T * T)
        // Every block's attention and MLP outputs go through `branch` and are then added to the
        // residual, hooked or not: accumulating straight into the residual rounds differently
        // ((x + b) + W·a against x + (b + W·a)), and a column's bytes must not depend on which
        // other hooks the same ingest stores.
        let branch = branchOut.reserve(N * C)
        let eps = config.layerNormEpsilon

        func hook(_ layer: Int, _ site: HookPoint.Site, _ pointer: UnsafeMutablePointer<Float>, _ width: Int) {
            let point = HookPoint(layer: layer, site: site)
            if hooks.contains(point) { visit(point, UnsafeMutableBufferPointer(start: pointer, count: N * width)) }
        }

        tokens.withUnsafeBufferPointer { ids in
            Kernels.embed(x, tokens: ids.baseAddress!, wte: parameters.tokenEmbedding,
                          wpe: parameters.positionEmbedding, sequenceLengths: sequenceLengths, C: C)
        }
        for l in 0..<config.layerCount {
            hook(l, .residPre, x, C)
            if l > lastLayer { break }
            let w = parameters.layers[l]
            var scale: Float = config.scaleAttentionWeights ? 1 / Float(config.headWidth).squareRoot() : 1
            if config.scaleAttentionByInverseLayerIndex { scale /= Float(l + 1) }

            Kernels.layerNorm(ln, x, weight: w.ln1Weight, bias: w.ln1Bias, N: N, C: C, epsilon: eps)
            hook(l, .ln1Normalized, ln, C)
            Kernels.matmul(qkvRows, ln, weight: w.qkvWeight, bias: w.qkvBias, N: N, C: C, OC: 3 * C)
            Kernels.attention(mixed, qkv: qkvRows, scores: scoreMatrix, sequenceLengths: sequenceLengths, C: C, NH: NH, scale: scale)
            Kernels.matmul(branch, mixed, weight: w.attnProjWeight, bias: w.attnProjBias, N: N, C: C, OC: C)
            hook(l, .attnOut, branch, C)
            Kernels.add(x, branch, count: N * C)
            hook(l, .residMid, x, C)

            Kernels.layerNorm(ln, x, weight: w.ln2Weight, bias: w.ln2Bias, N: N, C: C, epsilon: eps)
            hook(l, .ln2Normalized, ln, C)
            Kernels.matmul(hiddenRows, ln, weight: w.fcWeight, bias: w.fcBias, N: N, C: C, OC: H)
            Kernels.gelu(hiddenRows, count: N * H, kind: config.activation)
            hook(l, .mlpPost, hiddenRows, H)
            Kernels.matmul(branch, hiddenRows, weight: w.fcProjWeight, bias: w.fcProjBias, N: N, C: H, OC: C)
            hook(l, .mlpOut, branch, C)
            Kernels.add(x, branch, count: N * C)
            hook(l, .residPost, x, C)
        }
    }

    /// ln_f of the residual left by a full `forward`, into `normed`.
    func finalNorm(N: Int) -> UnsafeMutablePointer<Float> {
        let C = config.embeddingWidth
        let ln = normed.reserve(N * C)
        Kernels.layerNorm(ln, residual.pointer, weight: parameters.finalNormWeight, bias: parameters.finalNormBias,
                          N: N, C: C, epsilon: config.layerNormEpsilon)
        return ln
    }
}
