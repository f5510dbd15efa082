extension SAEReference {
    /// What the reference computes for a matryoshka training step.
    public struct MatryoshkaStep: Sendable {
        /// Latent activations f of the one BatchTopK selection, (B, dSAE).
        public var latents: [Double]
        /// Mean over rows and elements of (x̂ − x)² of the full reconstruction.
        public var mse: Double
        /// Σ_c (x̂_m − x)² / B per level, widths ascending, the full width last.
        public var levelLosses: [Double]
        /// SAELens' loss: the sum of `levelLosses`.
        public var total: Double
        /// Gradients of `total`.
        public var gradients: Weights
    }

    /// The matryoshka step (SAELens 6.54 `MatryoshkaBatchTopKTrainingSAE`) in Double, level by
    /// level with nothing shared between levels: the batch's k·B largest ReLU'd pre-activations
    /// (lower flat index first on ties) give f; every level m (width w_m, the full width last)
    /// reconstructs x̂_m = b_dec + Σ_{j < w_m} f_j·W_dec[j] and adds Σ_c (x̂_m − x)²/B; the
    /// gradient of each level is written out by the chain rule and the levels' gradients summed.
    /// `widths` as `SAEConfig.resolvedMatryoshkaWidths` (ending at dSAE).
    public static func matryoshkaStep(_ sae: SparseAutoencoder, weights w: Weights, x: [Double],
                                      rowCount B: Int, widths: [Int]) -> MatryoshkaStep {
        let C = sae.dIn, H = sae.dSAE
        precondition(widths.last == H, "the last matryoshka width is the latent count")
        let inputShift = sae.applyBDecToInput ? w.bDec : [Double](repeating: 0, count: C)
        let pre = encoderPreActivations(sae, weights: w, x: x, rowCount: B)
        let open = batchTopKOpen(pre, count: sae.k * B)
        let f = (0..<(B * H)).map { open[$0] ? pre[$0] : 0 }
        var g = zeroGradients(sae, like: w)
        var levelLosses: [Double] = []
        var fullSquares = 0.0
        for width in widths {
            var sumSquares = 0.0
            for b in 0..<B {
                var dXhat = [Double](repeating: 0, count: C)
                for c in 0..<C {
                    var xhat = w.bDec[c]
                    for j in 0..<width { xhat += f[b * H + j] * w.wDec[j * C + c] }
                    let r = xhat - x[b * C + c]
                    sumSquares += r * r
                    dXhat[c] = 2 * r / Double(B)
                    g.bDec[c] += dXhat[c]
                }
                for j in 0..<width {
                    let i = b * H + j
                    var dF = 0.0
                    for c in 0..<C {
                        dF += dXhat[c] * w.wDec[j * C + c]
                        g.wDec[j * C + c] += dXhat[c] * f[i]
                    }
                    guard open[i] else { continue }
                    g.bEnc[j] += dF
                    for c in 0..<C {
                        g.wEnc[c * H + j] += (x[b * C + c] - inputShift[c]) * dF
                        if sae.applyBDecToInput { g.bDec[c] -= w.wEnc[c * H + j] * dF }
                    }
                }
            }
            levelLosses.append(sumSquares / Double(B))
            if width == H { fullSquares = sumSquares }
        }
        return MatryoshkaStep(latents: f, mse: fullSquares / Double(B * C), levelLosses: levelLosses,
                              total: levelLosses.reduce(0, +), gradients: g)
    }
}
