import Foundation

extension SAEReference {
    /// What the reference computes for a gated training step.
    public struct GatedStep: Sendable {
        /// Latent activations f = [π_gate > 0]·ReLU(π_mag), (B, dSAE).
        public var latents: [Double]
        /// ReLU(π_gate), (B, dSAE).
        public var gateActivations: [Double]
        /// Mean over rows and elements of (x̂ − x)².
        public var mse: Double
        /// Σ_b Σ_j ReLU(π_gate)_bj·‖W_dec[j]‖ / B (before λ).
        public var l1: Double
        /// Σ_b Σ_c (x̃ − x)² / B, x̃ = ReLU(π_gate)·W_dec + b_dec.
        public var auxiliary: Double
        /// SAELens' loss: Σ(x̂ − x)²/B + λ·l1 + auxiliary.
        public var total: Double
        /// Gradients of `total` (bEnc is b_gate's; rMag, bMag filled).
        public var gradients: Weights
    }

    /// The gated step (SparseAutoencoder+Gated's maths, after SAELens 6.54's GatedTrainingSAE:
    /// the auxiliary reconstruction's decoder is not detached) by the chain rule written out
    /// element by element in Double, π_mag as x·(W_enc ⊙ exp(r_mag)) + b_mag as SAELens writes it.
    public static func gatedStep(_ sae: SparseAutoencoder, weights w: Weights, x: [Double],
                                 rowCount B: Int, l1Coefficient lambda: Double) -> GatedStep {
        let C = sae.dIn, H = sae.dSAE
        func input(_ b: Int, _ c: Int) -> Double { x[b * C + c] - (sae.applyBDecToInput ? w.bDec[c] : 0) }
        var norms = [Double](repeating: 0, count: H)
        for j in 0..<H { norms[j] = (0..<C).reduce(0) { $0 + w.wDec[j * C + $1] * w.wDec[j * C + $1] }.squareRoot() }
        var g = Weights(wEnc: [Double](repeating: 0, count: C * H), bEnc: [Double](repeating: 0, count: H),
                        wDec: [Double](repeating: 0, count: H * C), bDec: [Double](repeating: 0, count: C),
                        rMag: [Double](repeating: 0, count: H), bMag: [Double](repeating: 0, count: H))
        var f = [Double](repeating: 0, count: B * H), gate = [Double](repeating: 0, count: B * H)
        var sumSquares = 0.0, auxSquares = 0.0, l1 = 0.0
        for b in 0..<B {
            var piGate = [Double](repeating: 0, count: H)
            for j in 0..<H {
                var gateSum = w.bEnc[j], magSum = w.bMag[j]
                for c in 0..<C {
                    gateSum += input(b, c) * w.wEnc[c * H + j]
                    magSum += input(b, c) * (w.wEnc[c * H + j] * exp(w.rMag[j]))
                }
                piGate[j] = gateSum
                gate[b * H + j] = max(gateSum, 0)
                f[b * H + j] = gateSum > 0 ? max(magSum, 0) : 0
                l1 += gate[b * H + j] * norms[j]
            }
            // dL/dx̂ and dL/dx̃ for this row
            var dXhat = [Double](repeating: 0, count: C), dXaux = [Double](repeating: 0, count: C)
            for c in 0..<C {
                var xhat = w.bDec[c], xaux = w.bDec[c]
                for j in 0..<H {
                    xhat += f[b * H + j] * w.wDec[j * C + c]
                    xaux += gate[b * H + j] * w.wDec[j * C + c]
                }
                let r = xhat - x[b * C + c], raux = xaux - x[b * C + c]
                sumSquares += r * r
                auxSquares += raux * raux
                dXhat[c] = 2 * r / Double(B)
                dXaux[c] = 2 * raux / Double(B)
                g.bDec[c] += dXhat[c] + dXaux[c]
            }
            for j in 0..<H {
                let i = b * H + j
                var dF = 0.0, dGate = 0.0
                for c in 0..<C {
                    dF += dXhat[c] * w.wDec[j * C + c]
                    dGate += dXaux[c] * w.wDec[j * C + c]
                    g.wDec[j * C + c] += dXhat[c] * f[i] + dXaux[c] * gate[i]
                    // ∂‖W_dec[j]‖/∂W_dec[j] = W_dec[j]/‖W_dec[j]‖ in the L1 term
                    g.wDec[j * C + c] += lambda / Double(B) * gate[i] * w.wDec[j * C + c] / norms[j]
                }
                // The gate [π_gate > 0] passes nothing; ReLU(π_mag) passes where π_mag > 0.
                let dPiMag = f[i] > 0 ? dF : 0
                let dPiGate = piGate[j] > 0 ? dGate + lambda / Double(B) * norms[j] : 0
                let scale = exp(w.rMag[j])
                g.bEnc[j] += dPiGate
                g.bMag[j] += dPiMag
                for c in 0..<C {
                    g.wEnc[c * H + j] += input(b, c) * (dPiGate + scale * dPiMag)
                    g.rMag[j] += dPiMag * input(b, c) * w.wEnc[c * H + j] * scale
                    if sae.applyBDecToInput { g.bDec[c] -= w.wEnc[c * H + j] * (dPiGate + scale * dPiMag) }
                }
            }
        }
        l1 /= Double(B)
        let auxiliary = auxSquares / Double(B)
        return GatedStep(latents: f, gateActivations: gate, mse: sumSquares / Double(B * C), l1: l1,
                         auxiliary: auxiliary, total: sumSquares / Double(B) + lambda * l1 + auxiliary, gradients: g)
    }
}
