import BLASKernels
import Foundation

/// The gated SAE (Rajamanoharan et al. 2024, "Improving Dictionary Learning with Gated Sparse
/// Autoencoders"), as SAELens 6.54's `GatedTrainingSAE` computes it (docs/SAE.md, "gated"):
///   z = (x − b_dec?)·W_enc                       one product shared by both paths
///   π_gate = z + b_gate,  π_mag = exp(r_mag) ⊙ z + b_mag
///   f = [π_gate > 0] · ReLU(π_mag),  x̂ = f·W_dec + b_dec
///   loss = Σ_c(x̂ − x)²/B + λ·Σ_j ReLU(π_gate)_j·‖W_dec[j]‖/B + Σ_c(x̃ − x)²/B
/// with the auxiliary reconstruction x̃ = ReLU(π_gate)·W_dec + b_dec. The paper freezes the
/// decoder in x̃ (a stop-gradient); SAELens 6.54 does not, so W_dec and b_dec get x̃'s
/// gradient too, and so do they here. The gate [π_gate > 0] passes no gradient (it is a
/// comparison in torch), so the gate path learns only from the L1 and auxiliary terms.
///
/// SAELens computes π_mag as x·(W_enc ⊙ exp(r_mag)): the same value up to Float rounding,
/// for one product instead of two.
extension SparseAutoencoder {
    /// z into `ws.preActs`, f into `ws.acts`, ReLU(π_gate) into `ws.gateActs` and each row's
    /// open count (f > 0) into `ws.rowOpenCounts`, for rows 0..<B; returns the batch's open count.
    // x: (B,C); ws.preActs, ws.acts, ws.gateActs: (B,H)
    @discardableResult
    func encodeGated(_ x: [Float], rowCount B: Int, workspace ws: inout SAEWorkspace) -> Int {
        let C = dIn, H = dSAE
        precondition(B > 0 && B <= ws.maxRowCount, "batch of \(B) rows, workspace holds \(ws.maxRowCount)")
        precondition(x.count >= B * C, "batch holds \(x.count) floats, \(B) rows need \(B * C)")
        if applyBDecToInput { centerInput(x, rowCount: B, into: &ws.centered, pool: ws.pool) }
        let input = applyBDecToInput ? ws.centered : x
        ws.preActs.withUnsafeMutableBufferPointer { z in
            input.withUnsafeBufferPointer { inp in
                weights.wEnc.withUnsafeBufferPointer { w in
                    BLAS.sgemm(z.baseAddress!, inp.baseAddress!, w.baseAddress!, m: B, n: H, k: C, alpha: 1, beta: 0)
                }
            }
        }
        ws.clock?.lap(.encoderProduct)
        for j in 0..<H { ws.magnitudeScales[j] = exp(weights.rMag[j]) }
        let pool = ws.pool
        ws.preActs.withUnsafeBufferPointer { z in
            ws.acts.withUnsafeMutableBufferPointer { f in
                ws.gateActs.withUnsafeMutableBufferPointer { gate in
                    ws.rowOpenCounts.withUnsafeMutableBufferPointer { counts in
                        ws.magnitudeScales.withUnsafeBufferPointer { scales in
                            weights.bEnc.withUnsafeBufferPointer { bGate in
                                weights.bMag.withUnsafeBufferPointer { bMag in
                                    let z = z.baseAddress!, f = f.baseAddress!, gate = gate.baseAddress!
                                    let counts = counts.baseAddress!, scales = scales.baseAddress!
                                    let bGate = bGate.baseAddress!, bMag = bMag.baseAddress!
                                    pool.run { part in
                                        for b in WorkerPool.range(B, part: part, of: pool.threadCount) {
                                            var open: Int32 = 0
                                            for j in 0..<H {
                                                let i = b * H + j
                                                let piGate = z[i] + bGate[j]
                                                let piMag = scales[j] * z[i] + bMag[j]
                                                gate[i] = piGate > 0 || piGate.isNaN ? piGate : 0
                                                // torch: (π_gate > 0) · relu(π_mag); a NaN stays NaN.
                                                let value: Float = piGate > 0 ? (piMag > 0 || piMag.isNaN ? piMag : 0)
                                                                              : (piGate.isNaN ? piGate : 0)
                                                f[i] = value
                                                if value > 0 { open += 1 }
                                            }
                                            counts[b] = open
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        ws.clock?.lap(.activation)
        var open = 0
        for b in 0..<B { open += Int(ws.rowOpenCounts[b]) }
        return open
    }

    /// Loss and gradients of a gated step on rows 0..<B of `x` (the type's comment gives the
    /// loss). Every product is an sgemm over the whole batch (no sparse variant yet: f and
    /// ReLU(π_gate) are both sparse, so one is possible, as for the other architectures).
    /// `losses.l1` is Σ ReLU(π_gate)·‖W_dec‖/B
    /// before λ, `losses.auxiliary` the auxiliary reconstruction term.
    // x: (B,C); gradients: shaped like `weights` (bEnc = db_gate, rMag, bMag)
    func gatedLossAndGradients(_ x: [Float], rowCount B: Int, l1Coefficient: Double,
                               workspace ws: inout SAEWorkspace, gradients g: inout SAEWeights) -> SAELosses {
        let C = dIn, H = dSAE
        let pool = ws.pool
        ws.reserveGatedTraining(dIn: C, dSAE: H)
        ws.lastStepWasSparse = false
        let open = encodeGated(x, rowCount: B, workspace: &ws)
        computeDecoderRowNorms(into: &ws.decoderRowNorms, pool: pool)
        ws.clock?.lap(.decoderNorms)
        decodeResiduals(x, rowCount: B, workspace: &ws)
        decodeGatePath(x, rowCount: B, workspace: &ws)
        ws.clock?.lap(.decode)

        let s = reconstructionScale(rowCount: B)
        // dL/df = s·(x̂ − x)·W_decᵀ and dL/dReLU(π_gate) = s·(x̃ − x)·W_decᵀ (+ the L1 term, below).
        for (residuals, grads) in [(\SAEWorkspace.residuals, \SAEWorkspace.actGrads),
                                   (\SAEWorkspace.auxResiduals, \SAEWorkspace.gateGrads)] {
            let r = ws[keyPath: residuals]
            ws[keyPath: grads].withUnsafeMutableBufferPointer { d in
                r.withUnsafeBufferPointer { r in
                    weights.wDec.withUnsafeBufferPointer { w in
                        BLAS.sgemm(d.baseAddress!, r.baseAddress!, w.baseAddress!, transposeB: true, m: B, n: H, k: C, alpha: s, beta: 0)
                    }
                }
            }
        }
        gatedLatentSweep(rowCount: B, l1PerRow: Float(l1Coefficient / Double(B)), workspace: &ws, gradients: &g)
        ws.clock?.lap(.latentGradients)

        // dW_enc = inpᵀ·dz  (C,H)
        g.wEnc.withUnsafeMutableBufferPointer { dW in
            (applyBDecToInput ? ws.centered : x).withUnsafeBufferPointer { inp in
                ws.gateGrads.withUnsafeBufferPointer { dz in
                    BLAS.sgemm(dW.baseAddress!, inp.baseAddress!, transposeA: true, dz.baseAddress!, m: C, n: H, k: B, alpha: 1, beta: 0)
                }
            }
        }
        // dW_dec = s·fᵀ·(x̂ − x) + s·ReLU(π_gate)ᵀ·(x̃ − x) + λ/B·Σ_b ReLU(π_gate)·W_dec[j]/‖W_dec[j]‖  (H,C)
        g.wDec.withUnsafeMutableBufferPointer { dW in
            for (acts, residuals, beta) in [(ws.acts, ws.residuals, Float(0)), (ws.gateActs, ws.auxResiduals, Float(1))] {
                acts.withUnsafeBufferPointer { a in
                    residuals.withUnsafeBufferPointer { r in
                        BLAS.sgemm(dW.baseAddress!, a.baseAddress!, transposeA: true, r.baseAddress!, m: H, n: C, k: B, alpha: s, beta: beta)
                    }
                }
            }
            weights.wDec.withUnsafeBufferPointer { w in
                ws.gateActSums.withUnsafeBufferPointer { sums in
                    ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                        let dW = dW.baseAddress!, w = w.baseAddress!, sums = sums.baseAddress!, norms = norms.baseAddress!
                        let l1PerRow = Float(l1Coefficient / Double(B))
                        pool.run { part in
                            DenseKernels.decoderNormL1Gradient(dWDec: dW, wDec: w, latentActSums: sums, norms: norms,
                                                               l1PerRow: l1PerRow, C: C,
                                                               latents: WorkerPool.range(H, part: part, of: pool.threadCount))
                        }
                    }
                }
            }
        }
        ws.clock?.lap(.weightGradients)
        gatedDecoderBiasGradient(rowCount: B, scale: s, workspace: &ws, gradients: &g)
        ws.clock?.lap(.biasGradients)

        var squares = 0.0, auxSquares = 0.0, l1Sum = 0.0
        for b in 0..<B {
            squares += ws.rowSquares[b]
            auxSquares += ws.auxRowSquares[b]
        }
        for j in 0..<H { l1Sum += ws.gateActSums[j] * Double(ws.decoderRowNorms[j]) }
        let l1 = l1Sum / Double(B), auxiliary = auxSquares / Double(B)
        var losses = SAELosses(mse: squares / Double(B * C), l1: l1,
                               total: squares / Double(B) + l1Coefficient * l1 + auxiliary, activeLatentCount: open)
        losses.auxiliary = auxiliary
        return losses
    }

    /// x̃ − x = ReLU(π_gate)·W_dec + b_dec − x for rows 0..<B into `ws.auxResiduals`, each
    /// row's Σ_c (x̃ − x)² into `ws.auxRowSquares`.
    // ws.auxResiduals: (B,C), ws.gateActs: (B,H), W_dec: (H,C)
    private func decodeGatePath(_ x: [Float], rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn, H = dSAE
        let pool = ws.pool
        ws.auxResiduals.withUnsafeMutableBufferPointer { res in
            ws.auxRowSquares.withUnsafeMutableBufferPointer { squares in
                weights.bDec.withUnsafeBufferPointer { bDec in
                    let res = res.baseAddress!, bDec = bDec.baseAddress!
                    pool.run { part in
                        for b in WorkerPool.range(B, part: part, of: pool.threadCount) { (res + b * C).update(from: bDec, count: C) }
                    }
                }
                ws.gateActs.withUnsafeBufferPointer { gate in
                    weights.wDec.withUnsafeBufferPointer { w in
                        BLAS.sgemm(res.baseAddress!, gate.baseAddress!, w.baseAddress!, m: B, n: C, k: H, alpha: 1, beta: 1)
                    }
                }
                x.withUnsafeBufferPointer { x in
                    let res = res.baseAddress!, squares = squares.baseAddress!, x = x.baseAddress!
                    pool.run { part in
                        DenseKernels.residuals(res, rowSquares: squares, subtracting: x, C: C,
                                               rows: WorkerPool.range(B, part: part, of: pool.threadCount))
                    }
                }
            }
        }
    }

    /// One sweep per latent range over the batch: with dL/df in `ws.actGrads` and
    /// dL/dReLU(π_gate) in `ws.gateGrads`,
    ///   dπ_mag = dL/df where f > 0 (the gate and ReLU(π_mag) both open), else 0
    ///   dπ_gate = dL/dReLU(π_gate) + λ/B·‖W_dec[j]‖ where π_gate > 0, else 0
    ///   dz = dπ_gate + exp(r_j)·dπ_mag  (written over `ws.gateGrads`)
    /// and the per-latent sums: db_gate, db_mag, dr_mag = Σ_b dπ_mag·exp(r_j)·z, Σ_b dz,
    /// Σ_b ReLU(π_gate), Σ_b f and the rows with f > 0. Latents split over the pool; each
    /// latent's sums run over rows in order, so the split does not change a value.
    private func gatedLatentSweep(rowCount B: Int, l1PerRow: Float, workspace ws: inout SAEWorkspace,
                                  gradients g: inout SAEWeights) {
        let H = dSAE
        let pool = ws.pool
        // Inputs, then the per-latent outputs; every pointer is valid for the whole sweep.
        ws.actGrads.withUnsafeBufferPointer { dF in
        ws.acts.withUnsafeBufferPointer { f in
        ws.gateActs.withUnsafeBufferPointer { gate in
        ws.preActs.withUnsafeBufferPointer { z in
        ws.magnitudeScales.withUnsafeBufferPointer { scales in
        ws.decoderRowNorms.withUnsafeBufferPointer { norms in
        ws.gateGrads.withUnsafeMutableBufferPointer { dGate in
        ws.gateActSums.withUnsafeMutableBufferPointer { gateSums in
        ws.latentActSums.withUnsafeMutableBufferPointer { actSums in
        ws.firedRowCounts.withUnsafeMutableBufferPointer { fired in
        ws.productGradientSums.withUnsafeMutableBufferPointer { dzSums in
        g.bEnc.withUnsafeMutableBufferPointer { dbGate in
        g.bMag.withUnsafeMutableBufferPointer { dbMag in
        g.rMag.withUnsafeMutableBufferPointer { drMag in
            let dF = dF.baseAddress!, f = f.baseAddress!, gate = gate.baseAddress!, z = z.baseAddress!
            let scales = scales.baseAddress!, norms = norms.baseAddress!, dGate = dGate.baseAddress!
            let gateSums = gateSums.baseAddress!, actSums = actSums.baseAddress!, fired = fired.baseAddress!
            let dzSums = dzSums.baseAddress!, dbGate = dbGate.baseAddress!, dbMag = dbMag.baseAddress!
            let drMag = drMag.baseAddress!
            pool.run { part in
                let latents = WorkerPool.range(H, part: part, of: pool.threadCount)
                for j in latents {
                    gateSums[j] = 0; actSums[j] = 0; fired[j] = 0
                    dzSums[j] = 0; dbGate[j] = 0; dbMag[j] = 0; drMag[j] = 0
                }
                for b in 0..<B {
                    for j in latents {
                        let i = b * H + j
                        let open = f[i] > 0
                        let dMag: Float = open ? dF[i] : 0
                        let dPiGate: Float = gate[i] > 0 ? dGate[i] + l1PerRow * norms[j] : 0
                        let dz = dPiGate + scales[j] * dMag
                        dGate[i] = dz
                        dbGate[j] += dPiGate
                        dbMag[j] += dMag
                        drMag[j] += dMag * scales[j] * z[i]
                        dzSums[j] += dz
                        gateSums[j] += Double(gate[i])
                        if open {
                            actSums[j] += Double(f[i])
                            fired[j] += 1
                        }
                    }
                }
            }
        } } } } } } } } } } } } } }
    }

    /// db_dec = s·Σ_b (x̂ − x) + s·Σ_b (x̃ − x), and with `apply_b_dec_to_input` the share
    /// through the centred input, −W_enc·Σ_b dz (both paths read x − b_dec).
    // g.bDec: (C), ws.residuals, ws.auxResiduals: (B,C), W_enc: (C,H)
    private func gatedDecoderBiasGradient(rowCount B: Int, scale s: Float, workspace ws: inout SAEWorkspace,
                                          gradients g: inout SAEWeights) {
        let C = dIn, H = dSAE
        let pool = ws.pool
        g.bDec.withUnsafeMutableBufferPointer { dbDec in
            ws.auxColumnSums.withUnsafeMutableBufferPointer { aux in
                ws.residuals.withUnsafeBufferPointer { res in
                    ws.auxResiduals.withUnsafeBufferPointer { auxRes in
                        let dbDec = dbDec.baseAddress!, aux = aux.baseAddress!
                        let res = res.baseAddress!, auxRes = auxRes.baseAddress!
                        pool.run { part in
                            let columns = DenseKernels.laneRange(C, part: part, of: pool.threadCount)
                            DenseKernels.columnSums(out: dbDec, res, scale: s, B: B, N: C, columns: columns)
                            DenseKernels.columnSums(out: aux, auxRes, scale: s, B: B, N: C, columns: columns)
                            for c in columns { dbDec[c] += aux[c] }
                        }
                    }
                }
            }
            guard applyBDecToInput else { return }
            weights.wEnc.withUnsafeBufferPointer { w in
                ws.productGradientSums.withUnsafeBufferPointer { dz in
                    BLAS.sgemv(dbDec.baseAddress!, w.baseAddress!, m: C, n: H, dz.baseAddress!, alpha: -1, beta: 1)
                }
            }
        }
    }
}
