/// The plain reference for the sgemm path: the same maths in Double with naive loops, no
/// buffers reused, nothing clever. Tests hold the fast path to it and it to finite differences.
public enum SAEReference {
    /// An SAE's tensors in Double, same names and layouts as `SAEWeights`.
    public struct Weights: Equatable, Sendable {
        /// Encoder weight, (dIn, dSAE).
        public var wEnc: [Double]
        /// Encoder bias (b_gate for the gated SAE), (dSAE).
        public var bEnc: [Double]
        /// Decoder weight, (dSAE, dIn); empty for the tied SAE.
        public var wDec: [Double]
        /// Decoder bias, (dIn).
        public var bDec: [Double]
        /// θ per latent (jumprelu, batchtopk); empty otherwise.
        public var threshold: [Double]
        /// Gated: r_mag and b_mag per latent (bEnc is b_gate); empty otherwise.
        public var rMag: [Double]
        /// Gated: b_mag per latent, (dSAE); empty otherwise.
        public var bMag: [Double]
        /// Skip transcoders: W_skip, (dOut, dIn); empty otherwise.
        public var wSkip: [Double] = []

        /// Weights from their tensors (Double, `SAEWeights`' layouts).
        public init(wEnc: [Double], bEnc: [Double], wDec: [Double], bDec: [Double], threshold: [Double] = [],
                    rMag: [Double] = [], bMag: [Double] = [], wSkip: [Double] = []) {
            self.wSkip = wSkip
            self.wEnc = wEnc
            self.bEnc = bEnc
            self.wDec = wDec
            self.bDec = bDec
            self.threshold = threshold
            self.rMag = rMag
            self.bMag = bMag
        }

        /// `w` widened to Double.
        public init(_ w: SAEWeights) {
            self.init(wEnc: w.wEnc.map(Double.init), bEnc: w.bEnc.map(Double.init),
                      wDec: w.wDec.map(Double.init), bDec: w.bDec.map(Double.init),
                      threshold: w.threshold.map(Double.init), rMag: w.rMag.map(Double.init),
                      bMag: w.bMag.map(Double.init), wSkip: w.wSkip.map(Double.init))
        }
    }

    /// What a forward pass computes.
    public struct Forward: Sendable {
        /// Latent activations, (B, dSAE).
        public var latents: [Double]
        /// Reconstructions, (B, dIn).
        public var reconstructions: [Double]
        /// MSE, L1 and total loss as in docs/SAE.md.
        public var mse: Double
        /// Mean over rows of the sparsity term (docs/SAE.md).
        public var l1: Double
        /// mse + λ·l1 (+ the architecture's extra terms).
        public var total: Double
    }

    /// The forward pass of `sae`'s architecture with Double weights `w` on rows x (B, dIn).
    public static func forward(_ sae: SparseAutoencoder, weights w: Weights, x: [Double],
                               rowCount B: Int, l1Coefficient: Double) -> Forward {
        let C = sae.dIn, H = sae.dSAE
        var f = [Double](repeating: 0, count: B * H)
        var xhat = [Double](repeating: 0, count: B * C)
        for b in 0..<B {
            var pre = [Double](repeating: 0, count: H)
            for j in 0..<H {
                var sum = w.bEnc[j]
                for c in 0..<C {
                    let input = x[b * C + c] - (sae.applyBDecToInput ? w.bDec[c] : 0)
                    sum += input * w.wEnc[c * H + j]
                }
                pre[j] = sum
            }
            var keep = [Bool](repeating: true, count: H)
            if sae.architecture == .topk {
                // Sort by value descending, lower index first on ties; keep the first k.
                let order = (0..<H).sorted { pre[$0] > pre[$1] || (pre[$0] == pre[$1] && $0 < $1) }
                keep = [Bool](repeating: false, count: H)
                for i in 0..<sae.k { keep[order[i]] = true }
            }
            for j in 0..<H { f[b * H + j] = keep[j] ? max(pre[j], 0) : 0 }
            for c in 0..<C {
                var sum = w.bDec[c]
                for j in 0..<H {
                    let decoderWeight = sae.architecture.isTied ? w.wEnc[c * H + j] : w.wDec[j * C + c]
                    sum += f[b * H + j] * decoderWeight
                }
                xhat[b * C + c] = sum
            }
        }
        var mse = 0.0
        for i in 0..<(B * C) { mse += (xhat[i] - x[i]) * (xhat[i] - x[i]) }
        mse /= Double(B * C)
        var l1 = 0.0
        for j in 0..<H {
            var weight = 1.0
            if sae.architecture.weightsL1ByDecoderNorm {
                var sumSquares = 0.0
                for c in 0..<C { sumSquares += w.wDec[j * C + c] * w.wDec[j * C + c] }
                weight = sumSquares.squareRoot()
            }
            for b in 0..<B { l1 += abs(f[b * H + j]) * weight }
        }
        l1 /= Double(B)
        return Forward(latents: f, reconstructions: xhat, mse: mse, l1: l1,
                       total: mse + l1Coefficient * l1)
    }

    /// Loss and analytic gradients by the chain rule written out element by element.
    public static func lossAndGradients(_ sae: SparseAutoencoder, weights w: Weights, x: [Double],
                                        rowCount B: Int, l1Coefficient lambda: Double)
        -> (forward: Forward, gradients: Weights) {
        let C = sae.dIn, H = sae.dSAE
        let fwd = forward(sae, weights: w, x: x, rowCount: B, l1Coefficient: lambda)
        var g = Weights(wEnc: [Double](repeating: 0, count: C * H),
                        bEnc: [Double](repeating: 0, count: H),
                        wDec: [Double](repeating: 0, count: w.wDec.count),
                        bDec: [Double](repeating: 0, count: C))
        var norms = [Double](repeating: 1, count: H)
        if sae.architecture.weightsL1ByDecoderNorm {
            for j in 0..<H {
                var sumSquares = 0.0
                for c in 0..<C { sumSquares += w.wDec[j * C + c] * w.wDec[j * C + c] }
                norms[j] = sumSquares.squareRoot()
            }
        }
        for b in 0..<B {
            // dL/dx̂ for this row
            var dXhat = [Double](repeating: 0, count: C)
            for c in 0..<C {
                dXhat[c] = 2 * (fwd.reconstructions[b * C + c] - x[b * C + c]) / Double(B * C)
                g.bDec[c] += dXhat[c]
            }
            for j in 0..<H {
                let f = fwd.latents[b * H + j]
                var dF = 0.0
                for c in 0..<C {
                    if sae.architecture.isTied {
                        dF += dXhat[c] * w.wEnc[c * H + j]
                        g.wEnc[c * H + j] += dXhat[c] * f
                    } else {
                        dF += dXhat[c] * w.wDec[j * C + c]
                        g.wDec[j * C + c] += dXhat[c] * f
                    }
                }
                if f > 0 {
                    dF += lambda / Double(B) * norms[j]
                    if sae.architecture.weightsL1ByDecoderNorm {
                        for c in 0..<C {
                            g.wDec[j * C + c] += lambda / Double(B) * f * w.wDec[j * C + c] / norms[j]
                        }
                    }
                }
                let dPre = f > 0 ? dF : 0
                g.bEnc[j] += dPre
                for c in 0..<C {
                    let input = x[b * C + c] - (sae.applyBDecToInput ? w.bDec[c] : 0)
                    g.wEnc[c * H + j] += input * dPre
                    if sae.applyBDecToInput { g.bDec[c] -= w.wEnc[c * H + j] * dPre }
                }
            }
        }
        return (fwd, g)
    }
}
