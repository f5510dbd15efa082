import BLASKernels

extension SparseAutoencoder {
    /// Loss and gradients for rows 0..<B of `x` (docs/SAE.md): loss = MSE + λ·L1 with
    /// MSE = Σ(x̂−x)²/(B·C) and L1 = Σ_b Σ_j |f_bj|·w_j / B (w_j = ‖W_dec[j]‖ for standard,
    /// 1 otherwise). Every buffer is preallocated; `gradients` is overwritten.
    ///
    /// After the encoder product, `kernels` picks the sgemm path below (the reference) or the
    /// sparse one (`sparseLossAndGradients`) from the batch's measured density.
    ///
    /// batchtopk and jumprelu use SAELens' reconstruction term Σ(x̂−x)²/B instead
    /// (`SAEArchitecture.sumsSquaredErrorOverInput`); jumprelu adds its sparsity term and the
    /// threshold's gradient from `jumpReLU` (SAELens' defaults when nil). `auxK` adds the
    /// dead latents' auxiliary loss (`addAuxK`). The gated SAE has its own step
    /// (`gatedLossAndGradients`, always on the sgemm path). Matryoshka is the batchtopk step plus
    /// its inner levels (`addMatryoshkaLevels`, widths `matryoshkaWidths`; none when nil).
    // x: (B,C); gradients: shaped like `weights`
    func lossAndGradients(_ x: [Float], rowCount B: Int, l1Coefficient: Double,
                          workspace ws: inout SAEWorkspace, gradients g: inout SAEWeights,
                          kernels: SAEKernelMode = .dense, jumpReLU: JumpReLUTerms? = nil,
                          auxK: AuxKTerms? = nil, matryoshkaWidths: [Int]? = nil) -> SAELosses {
        ws.auxKActive = auxK != nil
        if architecture == .gated {
            // Always the sgemm path: the gated SAE has no sparse kernels yet (docs/SAE.md).
            ws.decoderRowsMatchEncoder = false
            ws.weightGradientsKnownFinite = false
            return gatedLossAndGradients(x, rowCount: B, l1Coefficient: l1Coefficient, workspace: &ws, gradients: &g)
        }
        let terms = architecture == .jumprelu
            ? (jumpReLU ?? JumpReLUTerms(config: SAEConfig(architecture: .jumprelu, dIn: dIn))) : nil
        let decoderRowsCurrent = ws.decoderRowsMatchEncoder
        ws.decoderRowsMatchEncoder = false
        ws.weightGradientsKnownFinite = false
        let open = encodeLatents(x, rowCount: B, workspace: &ws)
        if architecture.weightsL1ByDecoderNorm || terms?.loss == .tanh {
            computeDecoderRowNorms(into: &ws.decoderRowNorms, pool: ws.pool)
            ws.clock?.lap(.decoderNorms)
        }
        ws.lastStepWasSparse = kernels.usesSparse(density: Double(open) / Double(B * dSAE))
        var losses: SAELosses
        if ws.lastStepWasSparse {
            losses = sparseLossAndGradients(x, rowCount: B, openCount: open, l1Coefficient: l1Coefficient,
                                            decoderRowsCurrent: decoderRowsCurrent, jumpReLU: terms,
                                            workspace: &ws, gradients: &g)
        } else {
            losses = denseLossAndGradients(x, rowCount: B, l1Coefficient: l1Coefficient, jumpReLU: terms,
                                           workspace: &ws, gradients: &g)
        }
        if let terms {
            // The step loss is the mean open count; the tanh loss was summed by its gradient pass.
            if terms.loss == .step { losses.l1 = Double(open) / Double(B) } else { losses.l1 = ws.tanhLossSum / Double(B) }
            losses.total += terms.coefficient * losses.l1
            thresholdGradients(rowCount: B, scale: reconstructionScale(rowCount: B), terms: terms,
                               workspace: ws, gradients: &g)
            ws.clock?.lap(.latentGradients)
        }
        if architecture == .matryoshka, let widths = matryoshkaWidths {
            losses.innerReconstruction = addMatryoshkaLevels(x, rowCount: B, widths: widths, workspace: &ws, gradients: &g)
            losses.total += losses.innerReconstruction
            // Added after the sparse kernels' finiteness check of the weight gradients.
            ws.weightGradientsKnownFinite = false
            ws.clock?.lap(.weightGradients)
        }
        if let auxK {
            losses.auxiliary = addAuxK(x, rowCount: B, terms: auxK, workspace: &ws, gradients: &g)
            losses.total += losses.auxiliary
            ws.weightGradientsKnownFinite = false
            ws.clock?.lap(.weightGradients)
        }
        return losses
    }

    /// s in dL/dx̂ = s·(x̂ − x): 2/(B·C) for the mean over rows and elements, 2/B for SAELens'
    /// sum over the input averaged over rows.
    func reconstructionScale(rowCount B: Int) -> Float {
        Float(2.0 / Double(architecture.sumsSquaredErrorOverInput ? B : B * dIn))
    }

    /// The loss terms from `ws.rowSquares` (Σ_c (x̂ − x)² per row) and the per-latent tallies.
    /// Row sums are added in row order, so the value does not depend on the thread count.
    func losses(rowCount B: Int, l1Coefficient: Double, workspace ws: SAEWorkspace) -> SAELosses {
        let C = dIn, H = dSAE
        var sumSquares = 0.0
        for b in 0..<B { sumSquares += ws.rowSquares[b] }
        let weighted = architecture.weightsL1ByDecoderNorm
        var l1Sum = 0.0
        var activeCount = 0
        for j in 0..<H {
            l1Sum += ws.latentActSums[j] * (weighted ? Double(ws.decoderRowNorms[j]) : 1)
            activeCount += Int(ws.firedRowCounts[j])
        }
        let mse = sumSquares / Double(B * C)
        let l1 = l1Sum / Double(B)
        let reconstruction = architecture.sumsSquaredErrorOverInput ? sumSquares / Double(B) : mse
        return SAELosses(mse: mse, l1: l1, total: reconstruction + l1Coefficient * l1, activeLatentCount: activeCount)
    }

    /// Σ_b of the open counts `encodeLatents` left in `ws.rowOpenCounts`.
    func rowOpenTotal(rowCount B: Int, workspace ws: SAEWorkspace) -> Int {
        var open = 0
        for b in 0..<B { open += Int(ws.rowOpenCounts[b]) }
        return open
    }

    /// db_dec = s · Σ_b (x̂ − x)[b], and with `apply_b_dec_to_input` its share of the encoder
    /// input: inp = x − b_dec, so b_dec also receives −W_enc · Σ_b dPre_b = −W_enc · db_enc
    /// (needs `g.bEnc` first).
    // g.bDec: (C), ws.residuals: (B,C), W_enc: (C,H), g.bEnc: (H)
    func decoderBiasGradient(rowCount B: Int, scale s: Float, workspace ws: SAEWorkspace,
                             gradients g: inout SAEWeights) {
        let C = dIn, H = dSAE
        let pool = ws.pool
        g.bDec.withUnsafeMutableBufferPointer { dbDec in
            ws.residuals.withUnsafeBufferPointer { res in
                let dbDec = dbDec.baseAddress!, res = res.baseAddress!
                pool.run { part in
                    DenseKernels.columnSums(out: dbDec, res, scale: s, B: B, N: C,
                                            columns: DenseKernels.laneRange(C, part: part, of: pool.threadCount))
                }
            }
        }
        if applyBDecToInput {
            g.bDec.withUnsafeMutableBufferPointer { dbDec in
                weights.wEnc.withUnsafeBufferPointer { w in
                    g.bEnc.withUnsafeBufferPointer { dbEnc in
                        BLAS.sgemv(dbDec.baseAddress!, w.baseAddress!, m: C, n: H, dbEnc.baseAddress!, alpha: -1, beta: 1)
                    }
                }
            }
        }
    }

    /// The sgemm path: every product dense over all B × H (row, latent) pairs; the element-wise
    /// work between the products runs on the pool (`DenseKernels`).
    private func denseLossAndGradients(_ x: [Float], rowCount B: Int, l1Coefficient: Double,
                                       jumpReLU terms: JumpReLUTerms?, workspace ws: inout SAEWorkspace,
                                       gradients g: inout SAEWeights) -> SAELosses {
        let C = dIn, H = dSAE
        let pool = ws.pool
        decodeResiduals(x, rowCount: B, workspace: &ws)
        ws.clock?.lap(.decode)
        let weighted = architecture.weightsL1ByDecoderNorm

        // dL/dx̂ = s·(x̂ − x); s is folded into the gemm alphas instead of a separate pass.
        let s = reconstructionScale(rowCount: B)
        let l1PerRow = Float(l1Coefficient) / Float(B)

        // dL/df = s·(x̂−x)·W_decᵀ (tied: ·W_enc), then in one sweep per latent range: the L1
        // term, the activation's mask (ReLU and TopK pass gradient exactly where f > 0; torch:
        // relu'(0) = 0), the tallies Σ_b f and firing counts, and db_enc.
        ws.actGrads.withUnsafeMutableBufferPointer { dF in
            ws.residuals.withUnsafeBufferPointer { res in
                let decoder = architecture.isTied ? weights.wEnc : weights.wDec
                decoder.withUnsafeBufferPointer { w in
                    BLAS.sgemm(dF.baseAddress!, res.baseAddress!, w.baseAddress!, transposeB: !architecture.isTied, m: B, n: H, k: C, alpha: s, beta: 0)
                }
            }
        }
        if terms?.loss == .tanh, let terms {
            gatherOpenLatents(rowCount: B, openCount: rowOpenTotal(rowCount: B, workspace: ws), workspace: &ws)
            ws.tanhLossSum = addTanhSparsityGradients(rowCount: B, terms: terms, workspace: &ws, denseGradients: true)
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
        let losses = losses(rowCount: B, l1Coefficient: l1Coefficient, workspace: ws)
        ws.clock?.lap(.latentGradients)

        // dW_enc = inpᵀ · dPre  (C,H); tied adds the decoder's share s·(x̂−x)ᵀ · f.
        g.wEnc.withUnsafeMutableBufferPointer { dWEnc in
            let input = applyBDecToInput ? ws.centered : x
            input.withUnsafeBufferPointer { inp in
                ws.actGrads.withUnsafeBufferPointer { dPre in
                    BLAS.sgemm(dWEnc.baseAddress!, inp.baseAddress!, transposeA: true, dPre.baseAddress!, m: C, n: H, k: B, alpha: 1, beta: 0)
                }
            }
            if architecture.isTied {
                ws.residuals.withUnsafeBufferPointer { res in
                    ws.acts.withUnsafeBufferPointer { f in
                        BLAS.sgemm(dWEnc.baseAddress!, res.baseAddress!, transposeA: true, f.baseAddress!, m: C, n: H, k: B, alpha: s, beta: 1)
                    }
                }
            }
        }

        if !architecture.isTied {
            // dW_dec = s · fᵀ · (x̂ − x)  (H,C)
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
        }
        if let terms, terms.loss == .tanh { addTanhDecoderGradients(rowCount: B, terms: terms, workspace: ws, gradients: &g) }
        ws.clock?.lap(.weightGradients)
        decoderBiasGradient(rowCount: B, scale: s, workspace: ws, gradients: &g)
        ws.clock?.lap(.biasGradients)
        return losses
    }
}
