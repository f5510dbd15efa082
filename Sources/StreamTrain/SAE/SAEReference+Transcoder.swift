extension SAEReference {
    /// The transcoder step (`SparseAutoencoder.transcoderLossAndGradients`) written out element
    /// by element in Double: f = act(x·W_enc + b_enc), ŷ = f·W_dec + b_dec (+ x·W_skipᵀ),
    /// loss = Σ (ŷ − y)² / B + λ·Σ_j |f_j|·‖W_dec[j]‖ / B (the norm weight for ReLU only).
    /// `forward.mse` is the per-element mean; `forward.reconstructions` holds ŷ.
    public static func transcoderLossAndGradients(_ sae: SparseAutoencoder, weights w: Weights, x: [Double],
                                                  target y: [Double], rowCount B: Int, l1Coefficient lambda: Double)
        -> (forward: Forward, gradients: Weights) {
        let C = sae.dIn, H = sae.dSAE
        let skip = sae.transcoder?.skipConnection == true
        let weighted = sae.architecture.weightsL1ByDecoderNorm
        var norms = [Double](repeating: 1, count: H)
        if weighted {
            for j in 0..<H {
                var sumSquares = 0.0
                for c in 0..<C { sumSquares += w.wDec[j * C + c] * w.wDec[j * C + c] }
                norms[j] = sumSquares.squareRoot()
            }
        }
        var g = Weights(wEnc: [Double](repeating: 0, count: C * H), bEnc: [Double](repeating: 0, count: H),
                        wDec: [Double](repeating: 0, count: H * C), bDec: [Double](repeating: 0, count: C),
                        wSkip: skip ? [Double](repeating: 0, count: C * C) : [])
        var f = [Double](repeating: 0, count: B * H)
        var yhat = [Double](repeating: 0, count: B * C)
        var squares = 0.0, l1 = 0.0
        for b in 0..<B {
            var pre = [Double](repeating: 0, count: H)
            for j in 0..<H {
                var sum = w.bEnc[j]
                for c in 0..<C { sum += x[b * C + c] * w.wEnc[c * H + j] }
                pre[j] = sum
            }
            var keep = [Bool](repeating: true, count: H)
            if sae.architecture == .topk {
                let order = (0..<H).sorted { pre[$0] > pre[$1] || (pre[$0] == pre[$1] && $0 < $1) }
                keep = [Bool](repeating: false, count: H)
                for i in 0..<sae.k { keep[order[i]] = true }
            }
            for j in 0..<H { f[b * H + j] = keep[j] ? max(pre[j], 0) : 0 }
            var dYhat = [Double](repeating: 0, count: C)
            for c in 0..<C {
                var sum = w.bDec[c]
                for j in 0..<H { sum += f[b * H + j] * w.wDec[j * C + c] }
                if skip { for i in 0..<C { sum += x[b * C + i] * w.wSkip[c * C + i] } }
                yhat[b * C + c] = sum
                let r = sum - y[b * C + c]
                squares += r * r
                dYhat[c] = 2 * r / Double(B)
                g.bDec[c] += dYhat[c]
                if skip { for i in 0..<C { g.wSkip[c * C + i] += dYhat[c] * x[b * C + i] } }
            }
            for j in 0..<H {
                let fj = f[b * H + j]
                l1 += abs(fj) * norms[j]
                var dF = 0.0
                for c in 0..<C {
                    dF += dYhat[c] * w.wDec[j * C + c]
                    g.wDec[j * C + c] += dYhat[c] * fj
                }
                guard fj > 0 else { continue }
                dF += lambda / Double(B) * norms[j]
                if weighted {
                    for c in 0..<C { g.wDec[j * C + c] += lambda / Double(B) * fj * w.wDec[j * C + c] / norms[j] }
                }
                g.bEnc[j] += dF
                for c in 0..<C { g.wEnc[c * H + j] += x[b * C + c] * dF }
            }
        }
        l1 /= Double(B)
        let forward = Forward(latents: f, reconstructions: yhat, mse: squares / Double(B * C), l1: l1,
                              total: squares / Double(B) + lambda * l1)
        return (forward, g)
    }
}
