import Foundation

/// The JumpReLU terms of a training step (from `SAEConfig`).
public struct JumpReLUTerms: Equatable, Sendable {
    /// λ, the sparsity term's weight.
    public var coefficient: Double
    /// L0 ("step") or tanh.
    public var loss: JumpReLUSparsityLoss
    /// ε, the straight-through estimator's kernel width (pre-activation units).
    public var bandwidth: Double
    /// c of the tanh loss.
    public var tanhScale: Double

    /// JumpReLU terms as named (units as on the fields).
    public init(coefficient: Double, loss: JumpReLUSparsityLoss, bandwidth: Double, tanhScale: Double) {
        self.coefficient = coefficient
        self.loss = loss
        self.bandwidth = bandwidth
        self.tanhScale = tanhScale
    }

    /// The terms `config` asks for.
    public init(config: SAEConfig) {
        self.init(coefficient: config.l0Coefficient, loss: config.jumpReLUSparsityLoss,
                  bandwidth: config.jumpReLUBandwidth, tanhScale: config.jumpReLUTanhScale)
    }
}

extension SparseAutoencoder {
    /// Tanh loss: adds ∂/∂f of λ/B · Σ tanh(c·f·n_j) (n_j = ‖W_dec[j]‖, `ws.decoderRowNorms`)
    /// to dL/df at every open entry of the CSR, before the mask; leaves per latent
    /// Σ_b f·sech²(c·f·n_j) in `ws.tanhDecoderSums` for the decoder's share; returns Σ tanh.
    /// The dense path calls it on the CSR of its own f too (`gatherOpenLatents`), so both paths
    /// add the same terms in the same order.
    func addTanhSparsityGradients(rowCount B: Int, terms: JumpReLUTerms, workspace ws: inout SAEWorkspace,
                                  denseGradients: Bool) -> Double {
        let H = dSAE
        let perRow = terms.coefficient / Double(B), c = terms.tanhScale
        if ws.tanhDecoderSums.count != H { ws.tanhDecoderSums = [Double](repeating: 0, count: H) }
        var total = 0.0
        ws.sparse.withPointers { sp in
            ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                ws.tanhDecoderSums.withUnsafeMutableBufferPointer { sums in
                    ws.actGrads.withUnsafeMutableBufferPointer { dense in
                        sums.update(repeating: 0)
                        for b in 0..<B {
                            for e in Int(sp.rowStarts[b])..<Int(sp.rowStarts[b + 1]) {
                                let j = Int(sp.latents[e]), f = Double(sp.values[e]), n = Double(norms[j])
                                let t = tanh(c * f * n)
                                total += t
                                let sech2 = 1 - t * t
                                let dF = Float(perRow * c * n * sech2)
                                if denseGradients { dense[b * H + j] += dF } else { sp.grads[e] += dF }
                                sums[j] += f * sech2
                            }
                        }
                    }
                }
            }
        }
        return total
    }

    /// Tanh loss, decoder share: dW_dec[j] += λ/B · c · (Σ_b f·sech²) · W_dec[j] / n_j, the
    /// derivative of n_j = ‖W_dec[j]‖ (latents that were open nowhere get nothing).
    func addTanhDecoderGradients(rowCount B: Int, terms: JumpReLUTerms, workspace ws: SAEWorkspace,
                                 gradients g: inout SAEWeights) {
        let C = dIn, H = dSAE
        let perRow = terms.coefficient / Double(B), c = terms.tanhScale
        g.wDec.withUnsafeMutableBufferPointer { dW in
            weights.wDec.withUnsafeBufferPointer { w in
                for j in 0..<H where ws.tanhDecoderSums[j] != 0 && ws.decoderRowNorms[j] > 0 {
                    let a = Float(perRow * c * ws.tanhDecoderSums[j] / Double(ws.decoderRowNorms[j]))
                    SparseKernels.axpy(a, w.baseAddress! + j * C, dW.baseAddress! + j * C, C)
                }
            }
        }
    }

    /// dL/dθ through the straight-through estimators (SAELens `JumpReLU` and `Step`): for every
    /// (b, j) with |pre − θ_j| < ε/2 (the rectangle kernel's support),
    ///   dθ_j −= (θ_j/ε) · dL/df_bj            (reconstruction, and tanh loss, through f)
    ///   dθ_j −= λ / (B·ε)                      (step loss, through [pre > θ])
    /// with dL/df_bj = s·(x̂ − x)_b · W_dec[j] (+ the tanh term) recomputed for the entry,
    /// closed or open, so the dense and sparse paths share this one routine. Needs
    /// `ws.preActs`, f in `ws.acts`, x̂ − x in `ws.residuals`. Latents split over the pool.
    // g.threshold: (H), ws.preActs, ws.acts: (B,H), ws.residuals: (B,C), W_dec: (H,C)
    func thresholdGradients(rowCount B: Int, scale s: Float, terms: JumpReLUTerms,
                            workspace ws: SAEWorkspace, gradients g: inout SAEWeights) {
        let C = dIn, H = dSAE
        let pool = ws.pool
        let epsilon = Float(terms.bandwidth), half = Float(terms.bandwidth / 2)
        let stepTerm = terms.loss == .step ? Float(terms.coefficient / Double(B) / terms.bandwidth) : 0
        let tanhPerRow = terms.loss == .tanh ? terms.coefficient / Double(B) * terms.tanhScale : 0
        let c = terms.tanhScale
        g.threshold.withUnsafeMutableBufferPointer { dTheta in
            weights.threshold.withUnsafeBufferPointer { theta in
                weights.wDec.withUnsafeBufferPointer { w in
                    ws.preActs.withUnsafeBufferPointer { pre in
                        ws.acts.withUnsafeBufferPointer { f in
                            ws.residuals.withUnsafeBufferPointer { res in
                                ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                                    let dTheta = dTheta.baseAddress!, theta = theta.baseAddress!, w = w.baseAddress!
                                    let pre = pre.baseAddress!, f = f.baseAddress!, res = res.baseAddress!
                                    let norms = norms.baseAddress!
                                    pool.run { part in
                                        for j in WorkerPool.range(H, part: part, of: pool.threadCount) {
                                            var sum: Float = 0
                                            let t = theta[j]
                                            for b in 0..<B {
                                                let d = pre[b * H + j] - t
                                                guard d > -half && d < half else { continue }
                                                var dF = s * SparseKernels.dot(res + b * C, w + j * C, C)
                                                if tanhPerRow != 0 {
                                                    let n = Double(norms[j])
                                                    let th = tanh(c * Double(f[b * H + j]) * n)
                                                    dF += Float(tanhPerRow * n * (1 - th * th))
                                                }
                                                sum += -(t / epsilon) * dF - stepTerm
                                            }
                                            dTheta[j] = sum
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
