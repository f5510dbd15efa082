import Foundation

/// The GPT-NeoX forward as plain loops, step by step as transformers' `GPTNeoXLayer` computes it:
/// the reference the BLAS path (NeoXModel+BLAS.swift) is held to by `NeoXFastPathTests`.
extension NeoXModel {
    /// Runs blocks 0...lastLayer and returns the residual stream (B·T, C); `visit` sees every
    /// hook's (B·T, width) values and may overwrite them in place (same length), the rest of the
    /// forward then running on what it left.
    func forward(tokens: [UInt32], batch B: Int, sequenceLength T: Int, lastLayer: Int,
                 visit: (HookPoint, inout [Float]) -> Void) -> [Float] {
        let C = config.hiddenWidth, H = config.mlpWidth, N = B * T
        var x = [Float](repeating: 0, count: N * C)
        for (row, token) in tokens.enumerated() {
            for c in 0..<C { x[row * C + c] = weights.embedding[Int(token) * C + c] }
        }
        for l in 0...lastLayer {
            let layer = weights.layers[l]
            visit(HookPoint(layer: l, site: .residPre), &x)
            var h = layerNorm(x, layer.inputNormWeight, layer.inputNormBias)
            visit(HookPoint(layer: l, site: .ln1Normalized), &h)
            var qkv = linear(h, layer.queryKeyValue, outWidth: 3 * C, inWidth: C, bias: layer.queryKeyValueBias)
            rotate(&qkv, sequenceLengths: Array(repeating: T, count: B))
            let mixed = attend(qkv, batch: B, sequenceLength: T)
            var attentionOut = linear(mixed, layer.dense, outWidth: C, inWidth: C, bias: layer.denseBias)
            visit(HookPoint(layer: l, site: .attnOut), &attentionOut)
            if !config.usesParallelResidual {
                for i in 0..<(N * C) { x[i] += attentionOut[i] }
                visit(HookPoint(layer: l, site: .residMid), &x)
            }
            // Parallel: ln2 reads resid_pre, the same stream ln1 read.
            var h2 = layerNorm(x, layer.postAttentionNormWeight, layer.postAttentionNormBias)
            visit(HookPoint(layer: l, site: .ln2Normalized), &h2)
            var hidden = linear(h2, layer.up, outWidth: H, inWidth: C, bias: layer.upBias)
            for i in 0..<(N * H) { hidden[i] = gelu(hidden[i]) }
            visit(HookPoint(layer: l, site: .mlpPost), &hidden)
            var mlpOut = linear(hidden, layer.down, outWidth: C, inWidth: H, bias: layer.downBias)
            visit(HookPoint(layer: l, site: .mlpOut), &mlpOut)
            if config.usesParallelResidual {
                for i in 0..<(N * C) { x[i] = (mlpOut[i] + attentionOut[i]) + x[i] }  // transformers' order
            } else {
                for i in 0..<(N * C) { x[i] += mlpOut[i] }
            }
            visit(HookPoint(layer: l, site: .residPost), &x)
        }
        return x
    }

    /// (x − mean) / √(var + ε) · weight + bias per row, biased variance, as torch's LayerNorm.
    func layerNorm(_ x: [Float], _ weight: [Float], _ bias: [Float]) -> [Float] {
        let C = weight.count
        var out = x
        for row in 0..<(x.count / C) {
            var mean: Float = 0
            for c in 0..<C { mean += x[row * C + c] }
            mean /= Float(C)
            var variance: Float = 0
            for c in 0..<C { variance += (x[row * C + c] - mean) * (x[row * C + c] - mean) }
            let scale = 1 / (variance / Float(C) + config.layerNormEpsilon).squareRoot()
            for c in 0..<C { out[row * C + c] = (x[row * C + c] - mean) * scale * weight[c] + bias[c] }
        }
        return out
    }

    /// GELU as `hidden_act` names it: exact (erf, Pythia's "gelu") or the tanh form, with libm.
    func gelu(_ x: Float) -> Float {
        switch config.activation {
        case .exact: return 0.5 * x * (1 + erf(x / Float(2).squareRoot()))
        case .tanh: return 0.5 * x * (1 + tanh(Kernels.sqrtTwoOverPi * (x + 0.044715 * x * x * x)))
        }
    }

    /// x (rows, inWidth) · Wᵀ (W: outWidth × inWidth) + bias.
    func linear(_ x: [Float], _ w: [Float], outWidth: Int, inWidth: Int, bias: [Float]? = nil) -> [Float] {
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

    /// Causal softmax attention of every head on the fused projection, scale 1/√D.
    // qkv: (B·T, NH, 3, D) → out: (B·T, NH·D)
    private func attend(_ qkv: [Float], batch B: Int, sequenceLength T: Int) -> [Float] {
        let C = config.hiddenWidth, D = config.headWidth, heads = config.headCount
        let scale = 1 / Float(D).squareRoot()
        var out = [Float](repeating: 0, count: B * T * C)
        var scores = [Float](repeating: 0, count: T)
        for b in 0..<B {
            for head in 0..<heads {
                for t in 0..<T {
                    let qBase = (b * T + t) * 3 * C + head * 3 * D
                    var maximum = -Float.infinity
                    for s in 0...t {
                        let kBase = (b * T + s) * 3 * C + head * 3 * D + D
                        var dot: Float = 0
                        for d in 0..<D { dot += qkv[qBase + d] * qkv[kBase + d] }
                        scores[s] = dot * scale
                        maximum = max(maximum, scores[s])
                    }
                    var sum: Float = 0
                    for s in 0...t {
                        scores[s] = exp(scores[s] - maximum)
                        sum += scores[s]
                    }
                    let outBase = (b * T + t) * C + head * D
                    for s in 0...t {
                        let weight = scores[s] / sum
                        let vBase = (b * T + s) * 3 * C + head * 3 * D + 2 * D
                        for d in 0..<D { out[outBase + d] += weight * qkv[vBase + d] }
                    }
                }
            }
        }
        return out
    }
}
