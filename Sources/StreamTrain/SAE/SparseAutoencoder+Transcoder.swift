import BLASKernels

extension SparseAutoencoder {
    /// Loss and gradients of a transcoder (`TranscoderOptions`) for rows 0..<B: `x` the input
    /// column's rows, `y` the target column's rows of the same row ids, both (B, C).
    ///
    ///     loss = Σ_b Σ_c (ŷ − y)² / B + λ · Σ_b Σ_j |f_bj| · w_j / B
    ///
    /// with w_j = ‖W_dec[j]‖ for ReLU (`standard`, SAELens' standard penalty) and no L1 term for
    /// TopK (λ = 0). `losses.mse` is the per-element mean, as for every SAE's metrics. Always the
    /// sgemm path; the plain reference is `SAEReference.transcoderForwardBackward`.
    // x, y: (B,C); gradients: shaped like `weights`
    func transcoderLossAndGradients(_ x: [Float], target y: [Float], rowCount B: Int, l1Coefficient: Double,
                                    workspace ws: inout SAEWorkspace, gradients g: inout SAEWeights) -> SAELosses {
        precondition(transcoder != nil && !applyBDecToInput, "transcoder step on an SAE that is not a transcoder")
        let C = dIn, H = dSAE
        let pool = ws.pool
        ws.auxKActive = false
        ws.decoderRowsMatchEncoder = false
        ws.weightGradientsKnownFinite = false
        ws.lastStepWasSparse = false
        let open = encodeLatents(x, rowCount: B, workspace: &ws)
        let weighted = architecture.weightsL1ByDecoderNorm
        if weighted {
            computeDecoderRowNorms(into: &ws.decoderRowNorms, pool: ws.pool)
            ws.clock?.lap(.decoderNorms)
        }
        transcodeResiduals(x, target: y, rowCount: B, workspace: &ws)
        ws.clock?.lap(.decode)

        // dL/dŷ = s·(ŷ − y) with s = 2/B (the sum over the output, averaged over rows).
        let s = Float(2.0 / Double(B))
        let l1PerRow = Float(l1Coefficient) / Float(B)
        ws.actGrads.withUnsafeMutableBufferPointer { dF in
            ws.residuals.withUnsafeBufferPointer { res in
                weights.wDec.withUnsafeBufferPointer { w in
                    BLAS.sgemm(dF.baseAddress!, res.baseAddress!, w.baseAddress!, transposeB: true, m: B, n: H, k: C, alpha: s, beta: 0)
                }
            }
        }
        ws.actGrads.withUnsafeMutableBufferPointer { dF in
            ws.acts.withUnsafeBufferPointer { f in
                ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                    ws.latentActSums.withUnsafeMutableBufferPointer { sums in
                        ws.firedRowCounts.withUnsafeMutableBufferPointer { fired in
                            g.bEnc.withUnsafeMutableBufferPointer { dbEnc in
                                let dF = dF.baseAddress!, f = f.baseAddress!, sums = sums.baseAddress!
                                let fired = fired.baseAddress!, dbEnc = dbEnc.baseAddress!
                                let l1Weights = weighted ? norms.baseAddress! : nil
                                pool.run { part in
                                    DenseKernels.latentSweep(actGrads: dF, latentActSums: sums, firedRowCounts: fired,
                                                             dbEnc: dbEnc, f: f, l1PerRow: l1PerRow, l1Weights: l1Weights,
                                                             B: B, H: H,
                                                             latents: DenseKernels.laneRange(H, part: part, of: pool.threadCount))
                                }
                            }
                        }
                    }
                }
            }
        }
        var sumSquares = 0.0
        for b in 0..<B { sumSquares += ws.rowSquares[b] }
        var l1Sum = 0.0
        for j in 0..<H { l1Sum += ws.latentActSums[j] * (weighted ? Double(ws.decoderRowNorms[j]) : 1) }
        let l1 = l1Sum / Double(B)
        var losses = SAELosses(mse: sumSquares / Double(B * C), l1: l1,
                               total: sumSquares / Double(B) + l1Coefficient * l1, activeLatentCount: open)
        losses.activeLatentCount = open
        ws.clock?.lap(.latentGradients)

        // dW_enc = xᵀ · dPre  (C,H)
        g.wEnc.withUnsafeMutableBufferPointer { dWEnc in
            x.withUnsafeBufferPointer { inp in
                ws.actGrads.withUnsafeBufferPointer { dPre in
                    BLAS.sgemm(dWEnc.baseAddress!, inp.baseAddress!, transposeA: true, dPre.baseAddress!, m: C, n: H, k: B, alpha: 1, beta: 0)
                }
            }
        }
        // dW_dec = s · fᵀ · (ŷ − y)  (H,C), plus the decoder-norm L1's share.
        g.wDec.withUnsafeMutableBufferPointer { dWDec in
            ws.acts.withUnsafeBufferPointer { f in
                ws.residuals.withUnsafeBufferPointer { res in
                    BLAS.sgemm(dWDec.baseAddress!, f.baseAddress!, transposeA: true, res.baseAddress!, m: H, n: C, k: B, alpha: s, beta: 0)
                }
            }
            if weighted {
                weights.wDec.withUnsafeBufferPointer { w in
                    ws.latentActSums.withUnsafeBufferPointer { sums in
                        ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                            let dWDec = dWDec.baseAddress!, w = w.baseAddress!
                            let sums = sums.baseAddress!, norms = norms.baseAddress!
                            pool.run { part in
                                DenseKernels.decoderNormL1Gradient(
                                    dWDec: dWDec, wDec: w, latentActSums: sums, norms: norms, l1PerRow: l1PerRow,
                                    C: C, latents: WorkerPool.range(H, part: part, of: pool.threadCount))
                            }
                        }
                    }
                }
            }
        }
        if transcoder?.skipConnection == true {
            // dW_skip = s · (ŷ − y)ᵀ · x  (C_out, C_in)
            g.wSkip.withUnsafeMutableBufferPointer { dWSkip in
                ws.residuals.withUnsafeBufferPointer { res in
                    x.withUnsafeBufferPointer { inp in
                        BLAS.sgemm(dWSkip.baseAddress!, res.baseAddress!, transposeA: true, inp.baseAddress!, m: C, n: C, k: B, alpha: s, beta: 0)
                    }
                }
            }
        }
        ws.clock?.lap(.weightGradients)
        decoderBiasGradient(rowCount: B, scale: s, workspace: ws, gradients: &g)
        ws.clock?.lap(.biasGradients)
        return losses
    }

    /// ŷ − y for rows 0..<B into `ws.residuals` and each row's Σ_c (ŷ − y)² into
    /// `ws.rowSquares` (needs `encodeLatents(x)` first); without `y`, ŷ itself.
    // ws.residuals: (B,C), x: (B,C), y: (B,C), W_skip: (C,C)
    func transcodeResiduals(_ x: [Float], target y: [Float]?, rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn
        decodeBatch(rowCount: B, workspace: &ws)
        if transcoder?.skipConnection == true {
            // ŷ += x · W_skipᵀ
            ws.residuals.withUnsafeMutableBufferPointer { res in
                x.withUnsafeBufferPointer { inp in
                    weights.wSkip.withUnsafeBufferPointer { w in
                        BLAS.sgemm(res.baseAddress!, inp.baseAddress!, w.baseAddress!, transposeB: true, m: B, n: C, k: C, alpha: 1, beta: 1)
                    }
                }
            }
        }
        if let y { residualSquares(subtracting: y, rowCount: B, workspace: &ws) }
    }
}
