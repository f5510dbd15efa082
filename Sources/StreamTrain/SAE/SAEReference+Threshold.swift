import Foundation

extension SAEReference {
    /// What the reference computes for a batchtopk (training) or jumprelu step.
    public struct ThresholdStep: Sendable {
        /// Latent activations f, (B, dSAE).
        public var latents: [Double]
        /// Mean over rows and elements of (x̂ − x)².
        public var mse: Double
        /// jumprelu's sparsity term (mean over rows; not yet × λ); 0 for batchtopk.
        public var sparsity: Double
        /// SAELens' loss: Σ(x̂ − x)²/B + λ·sparsity.
        public var total: Double
        /// Gradients (jumprelu's θ included, from the straight-through estimators).
        public var gradients: Weights
    }

    /// The batchtopk training step (the k·B largest ReLU'd pre-activations of the batch, the
    /// lower flat index first on ties) or the jumprelu step (`terms`), by the chain rule written
    /// out element by element in Double, from docs/SAE.md and SAELens' autograd functions.
    public static func thresholdStep(_ sae: SparseAutoencoder, weights w: Weights, x: [Double],
                                     rowCount B: Int, terms: JumpReLUTerms?) -> ThresholdStep {
        let C = sae.dIn, H = sae.dSAE
        let pre = encoderPreActivations(sae, weights: w, x: x, rowCount: B)
        let open = sae.architecture == .batchtopk
            ? batchTopKOpen(pre, count: sae.k * B)
            : (0..<(B * H)).map { pre[$0] > w.threshold[$0 % H] && pre[$0] > 0 }
        let f = (0..<(B * H)).map { open[$0] ? pre[$0] : 0 }
        var norms = [Double](repeating: 0, count: H)
        for j in 0..<H { norms[j] = (0..<C).reduce(0) { $0 + w.wDec[j * C + $1] * w.wDec[j * C + $1] }.squareRoot() }
        var g = zeroGradients(sae, like: w)
        var sumSquares = 0.0, sparsity = 0.0
        let lambda = terms?.coefficient ?? 0
        for b in 0..<B {
            var dXhat = [Double](repeating: 0, count: C)
            for c in 0..<C {
                var xhat = w.bDec[c]
                for j in 0..<H { xhat += f[b * H + j] * w.wDec[j * C + c] }
                let r = xhat - x[b * C + c]
                sumSquares += r * r
                dXhat[c] = 2 * r / Double(B)
                g.bDec[c] += dXhat[c]
            }
            for j in 0..<H {
                let i = b * H + j
                var dF = 0.0
                for c in 0..<C {
                    dF += dXhat[c] * w.wDec[j * C + c]
                    g.wDec[j * C + c] += dXhat[c] * f[i]
                }
                if let terms {
                    if terms.loss == .step {
                        sparsity += open[i] ? 1 : 0
                    } else {
                        let t = tanh(terms.tanhScale * f[i] * norms[j])
                        sparsity += t
                        let sech2 = 1 - t * t
                        dF += lambda / Double(B) * terms.tanhScale * norms[j] * sech2
                        for c in 0..<C {
                            g.wDec[j * C + c] += lambda / Double(B) * terms.tanhScale * f[i] * sech2 * w.wDec[j * C + c] / norms[j]
                        }
                    }
                    // SAELens' JumpReLU and Step backward: the rectangle kernel of width ε.
                    let u = (pre[i] - w.threshold[j]) / terms.bandwidth
                    if u > -0.5 && u < 0.5 {
                        g.threshold[j] -= w.threshold[j] / terms.bandwidth * dF
                        if terms.loss == .step { g.threshold[j] -= lambda / Double(B) / terms.bandwidth }
                    }
                }
                let dPre = open[i] ? dF : 0
                g.bEnc[j] += dPre
                for c in 0..<C {
                    g.wEnc[c * H + j] += (x[b * C + c] - (sae.applyBDecToInput ? w.bDec[c] : 0)) * dPre
                    if sae.applyBDecToInput { g.bDec[c] -= w.wEnc[c * H + j] * dPre }
                }
            }
        }
        sparsity /= Double(B)
        return ThresholdStep(latents: f, mse: sumSquares / Double(B * C), sparsity: sparsity,
                             total: sumSquares / Double(B) + lambda * sparsity, gradients: g)
    }
}
