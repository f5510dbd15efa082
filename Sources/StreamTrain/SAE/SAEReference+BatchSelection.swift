extension SAEReference {
    /// Pre-activations x·W_enc + b_enc (x − b_dec when the SAE subtracts b_dec first) of the
    /// B rows of x (B, dIn), in Double: (B, dSAE), row-major.
    static func encoderPreActivations(_ sae: SparseAutoencoder, weights w: Weights, x: [Double],
                                      rowCount B: Int) -> [Double] {
        let C = sae.dIn, H = sae.dSAE
        var pre = [Double](repeating: 0, count: B * H)
        for b in 0..<B {
            for j in 0..<H {
                var sum = w.bEnc[j]
                for c in 0..<C { sum += (x[b * C + c] - (sae.applyBDecToInput ? w.bDec[c] : 0)) * w.wEnc[c * H + j] }
                pre[b * H + j] = sum
            }
        }
        return pre
    }

    /// BatchTopK's selection over the whole batch: the `count` largest positive entries of `pre`
    /// (the lower flat index first on ties) are open, by a full sort (the fast path selects).
    static func batchTopKOpen(_ pre: [Double], count: Int) -> [Bool] {
        let order = pre.indices.filter { pre[$0] > 0 }.sorted { pre[$0] > pre[$1] || (pre[$0] == pre[$1] && $0 < $1) }
        var open = [Bool](repeating: false, count: pre.count)
        for i in order.prefix(count) { open[i] = true }
        return open
    }

    /// Zero gradients for an untied SAE of `sae`'s shape, with a θ slot if `w` has one.
    static func zeroGradients(_ sae: SparseAutoencoder, like w: Weights) -> Weights {
        let C = sae.dIn, H = sae.dSAE
        return Weights(wEnc: [Double](repeating: 0, count: C * H), bEnc: [Double](repeating: 0, count: H),
                       wDec: [Double](repeating: 0, count: H * C), bDec: [Double](repeating: 0, count: C),
                       threshold: [Double](repeating: 0, count: w.threshold.count))
    }
}
