extension SparseAutoencoder {
    /// Loss and gradients for rows 0..<B of `x` (docs/SAE.md): loss = MSE + λ·L1 with
    /// MSE = Σ(x̂−x)²/(B·C) and L1 = Σ_b Σ_j |f_bj|·w_j / B (w_j = ‖W_dec[j]‖ for standard,
    /// 1 otherwise). Every buffer is preallocated; `gradients` is overwritten.
    ///
    /// After the encoder product, `kernels` picks the sgemm path below (the reference) or the
    /// sparse one (`sparseLossAndGradients`) from the batch's measured density.
    // x: (B,C); gradients: shaped like `weights`
    func lossAndGradients(_ x: [Float], rowCount B: Int, l1Coefficient: Double,
                          workspace ws: inout SAEWorkspace, gradients g: inout SAEWeights,
                          kernels: SAEKernelMode = .dense) -> SAELosses {
        let open = encodeLatents(x, rowCount: B, workspace: &ws)
        if architecture.weightsL1ByDecoderNorm {
            computeDecoderRowNorms(into: &ws.decoderRowNorms, pool: ws.pool)
            ws.clock?.lap(.decoderNorms)
        }
        ws.lastStepWasSparse = kernels.usesSparse(density: Double(open) / Double(B * dSAE))
        if ws.lastStepWasSparse {
            return sparseLossAndGradients(x, rowCount: B, openCount: open, l1Coefficient: l1Coefficient,
                                          workspace: &ws, gradients: &g)
        }
        return denseLossAndGradients(x, rowCount: B, l1Coefficient: l1Coefficient, workspace: &ws, gradients: &g)
    }

    /// The loss terms from `ws.residuals` (x̂ − x) and the per-latent tallies.
    func losses(rowCount B: Int, l1Coefficient: Double, workspace ws: SAEWorkspace) -> SAELosses {
        let C = dIn, H = dSAE
        var sumSquares = 0.0
        ws.residuals.withUnsafeBufferPointer { res in
            for i in 0..<(B * C) { sumSquares += Double(res[i]) * Double(res[i]) }
        }
        let weighted = architecture.weightsL1ByDecoderNorm
        var l1Sum = 0.0
        var activeCount = 0
        for j in 0..<H {
            l1Sum += ws.latentActSums[j] * (weighted ? Double(ws.decoderRowNorms[j]) : 1)
            activeCount += Int(ws.firedRowCounts[j])
        }
        let mse = sumSquares / Double(B * C)
        let l1 = l1Sum / Double(B)
        return SAELosses(mse: mse, l1: l1, total: mse + l1Coefficient * l1, activeLatentCount: activeCount)
    }

    /// db_dec = s · Σ_b (x̂ − x)[b], and with `apply_b_dec_to_input` its share of the encoder
    /// input: inp = x − b_dec, so b_dec also receives −W_enc · Σ_b dPre_b = −W_enc · db_enc
    /// (needs `g.bEnc` first).
    // g.bDec: (C), ws.residuals: (B,C), W_enc: (C,H), g.bEnc: (H)
    func decoderBiasGradient(rowCount B: Int, scale s: Float, workspace ws: SAEWorkspace,
                             gradients g: inout SAEWeights) {
        let C = dIn, H = dSAE
        g.bDec.withUnsafeMutableBufferPointer { dbDec in
            ws.residuals.withUnsafeBufferPointer { res in
                for c in 0..<C {
                    var sum: Float = 0
                    for b in 0..<B { sum += res[b * C + c] }
                    dbDec[c] = s * sum
                }
            }
        }
        if applyBDecToInput {
            g.bDec.withUnsafeMutableBufferPointer { dbDec in
                weights.wEnc.withUnsafeBufferPointer { w in
                    g.bEnc.withUnsafeBufferPointer { dbEnc in
                        BLAS.gemv(M: C, N: H, alpha: -1, a: w.baseAddress!, x: dbEnc.baseAddress!,
                                  beta: 1, y: dbDec.baseAddress!)
                    }
                }
            }
        }
    }

    /// The sgemm path: every product dense over all B × H (row, latent) pairs.
    private func denseLossAndGradients(_ x: [Float], rowCount B: Int, l1Coefficient: Double,
                                       workspace ws: inout SAEWorkspace,
                                       gradients g: inout SAEWeights) -> SAELosses {
        let C = dIn, H = dSAE
        tallyActivations(rowCount: B, workspace: &ws)
        ws.clock?.lap(.gather)
        decodeResiduals(x, rowCount: B, workspace: &ws)
        ws.clock?.lap(.decode)
        let losses = losses(rowCount: B, l1Coefficient: l1Coefficient, workspace: ws)
        let weighted = architecture.weightsL1ByDecoderNorm

        // dL/dx̂ = s·(x̂ − x); s is folded into the gemm alphas instead of a separate pass.
        let s = Float(2.0 / Double(B * C))
        let l1PerRow = Float(l1Coefficient) / Float(B)

        // dL/df = s·(x̂−x)·W_decᵀ (tied: ·W_enc), then the L1 term and the activation's mask.
        ws.actGrads.withUnsafeMutableBufferPointer { dF in
            ws.residuals.withUnsafeBufferPointer { res in
                let decoder = architecture.isTied ? weights.wEnc : weights.wDec
                decoder.withUnsafeBufferPointer { w in
                    BLAS.gemm(transposeA: false, transposeB: !architecture.isTied, M: B, N: H, K: C,
                              alpha: s, a: res.baseAddress!, b: w.baseAddress!, beta: 0,
                              c: dF.baseAddress!)
                }
            }
            ws.acts.withUnsafeBufferPointer { f in
                ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                    // ReLU and TopK pass gradient exactly where f > 0 (torch: relu' (0) = 0).
                    for b in 0..<B {
                        for j in 0..<H {
                            let i = b * H + j
                            if f[i] > 0 {
                                dF[i] += weighted ? l1PerRow * norms[j] : l1PerRow
                            } else {
                                dF[i] = 0
                            }
                        }
                    }
                }
            }
        }

        g.bEnc.withUnsafeMutableBufferPointer { dbEnc in
            ws.actGrads.withUnsafeBufferPointer { dPre in
                dbEnc.update(repeating: 0)
                for b in 0..<B {
                    for j in 0..<H { dbEnc[j] += dPre[b * H + j] }
                }
            }
        }

        ws.clock?.lap(.latentGradients)
        // dW_enc = inpᵀ · dPre  (C,H); tied adds the decoder's share s·(x̂−x)ᵀ · f.
        g.wEnc.withUnsafeMutableBufferPointer { dWEnc in
            let input = applyBDecToInput ? ws.centered : x
            input.withUnsafeBufferPointer { inp in
                ws.actGrads.withUnsafeBufferPointer { dPre in
                    BLAS.gemm(transposeA: true, transposeB: false, M: C, N: H, K: B, alpha: 1,
                              a: inp.baseAddress!, b: dPre.baseAddress!, beta: 0,
                              c: dWEnc.baseAddress!)
                }
            }
            if architecture.isTied {
                ws.residuals.withUnsafeBufferPointer { res in
                    ws.acts.withUnsafeBufferPointer { f in
                        BLAS.gemm(transposeA: true, transposeB: false, M: C, N: H, K: B, alpha: s,
                                  a: res.baseAddress!, b: f.baseAddress!, beta: 1,
                                  c: dWEnc.baseAddress!)
                    }
                }
            }
        }

        if !architecture.isTied {
            // dW_dec = s · fᵀ · (x̂ − x)  (H,C)
            g.wDec.withUnsafeMutableBufferPointer { dWDec in
                ws.acts.withUnsafeBufferPointer { f in
                    ws.residuals.withUnsafeBufferPointer { res in
                        BLAS.gemm(transposeA: true, transposeB: false, M: H, N: C, K: B, alpha: s,
                                  a: f.baseAddress!, b: res.baseAddress!, beta: 0,
                                  c: dWDec.baseAddress!)
                    }
                }
                if weighted {
                    // ∂(λ/B · Σ_b f_bj ‖W_dec[j]‖)/∂W_dec[j] = λ/B · Σ_b f_bj · W_dec[j] / ‖W_dec[j]‖
                    weights.wDec.withUnsafeBufferPointer { w in
                        for j in 0..<H where ws.latentActSums[j] > 0 && ws.decoderRowNorms[j] > 0 {
                            let coefficient = l1PerRow * Float(ws.latentActSums[j]) / ws.decoderRowNorms[j]
                            for c in 0..<C { dWDec[j * C + c] += coefficient * w[j * C + c] }
                        }
                    }
                }
            }
        }

        ws.clock?.lap(.weightGradients)
        decoderBiasGradient(rowCount: B, scale: s, workspace: ws, gradients: &g)
        ws.clock?.lap(.biasGradients)
        return losses
    }
}
