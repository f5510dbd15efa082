extension SparseAutoencoder {
    /// The sparse path of `lossAndGradients`: the same loss and gradients (to Float rounding)
    /// from the open (row, latent) pairs only. `ws.acts` holds f and `ws.rowOpenCounts` the
    /// per-row open counts (`encodeLatents`), `openCount` their sum. docs/SAE.md, "Sparse kernels".
    /// `decoderRowsCurrent`: `ws.decoderRows` already holds W_encᵀ (tied), so it is not copied again.
    // x: (B,C); gradients: shaped like `weights`
    func sparseLossAndGradients(_ x: [Float], rowCount B: Int, openCount: Int, l1Coefficient: Double,
                                decoderRowsCurrent: Bool = false, jumpReLU terms: JumpReLUTerms? = nil,
                                workspace ws: inout SAEWorkspace,
                                gradients g: inout SAEWeights) -> SAELosses {
        let C = dIn, H = dSAE
        let pool = ws.pool, parts = pool.threadCount
        gatherOpenLatents(rowCount: B, openCount: openCount, workspace: &ws)
        tallyOpenLatents(rowCount: B, workspace: &ws)
        if architecture.isTied && !(decoderRowsCurrent && ws.decoderRows.count == dSAE * dIn) {
            transposeEncoder(workspace: &ws)
        }
        ws.clock?.lap(.gather)

        let s = reconstructionScale(rowCount: B)
        let l1PerRow = Float(l1Coefficient) / Float(B)
        let weighted = architecture.weightsL1ByDecoderNorm
        let decoder = architecture.isTied ? ws.decoderRows : weights.wDec

        // x̂ − x, then dL/dpre at the open entries (rows split over the pool).
        ws.sparse.withPointers { sp in
            ws.residuals.withUnsafeMutableBufferPointer { res in
                ws.rowCursors.withUnsafeMutableBufferPointer { cursors in
                    decoder.withUnsafeBufferPointer { decoder in
                        weights.bDec.withUnsafeBufferPointer { bDec in
                            x.withUnsafeBufferPointer { x in
                                ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                                    let res = res.baseAddress!, cursors = cursors.baseAddress!
                                    let decoder = decoder.baseAddress!, bDec = bDec.baseAddress!, x = x.baseAddress!
                                    let l1Weights = weighted ? norms.baseAddress! : nil
                                    let block = SparseKernels.decoderBlockLatentCount(C: C)
                                    pool.run { part in
                                        let rows = WorkerPool.range(B, part: part, of: parts)
                                        SparseKernels.decode(out: res, rowStarts: sp.rowStarts, latents: sp.latents,
                                                             values: sp.values, decoder: decoder, bDec: bDec,
                                                             subtracting: x, cursors: cursors, C: C, H: H,
                                                             latentBlock: block, rows: rows)
                                        SparseKernels.latentGradients(grads: sp.grads, rowStarts: sp.rowStarts,
                                                                      latents: sp.latents, residuals: res,
                                                                      decoder: decoder, scale: s, l1PerRow: l1PerRow,
                                                                      l1Weights: l1Weights, cursors: cursors,
                                                                      C: C, H: H, latentBlock: block, rows: rows)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        residualSquares(subtracting: nil, rowCount: B, workspace: &ws)
        ws.clock?.lap(.decode)
        let losses = losses(rowCount: B, l1Coefficient: l1Coefficient, workspace: ws)

        if let terms, terms.loss == .tanh {
            ws.tanhLossSum = addTanhSparsityGradients(rowCount: B, terms: terms, workspace: &ws, denseGradients: false)
        }
        // db_enc, summed over rows in row order as the dense path does.
        let entryCount = ws.sparse.entryCount
        ws.sparse.withPointers { sp in
            g.bEnc.withUnsafeMutableBufferPointer { dbEnc in
                dbEnc.update(repeating: 0)
                for e in 0..<entryCount { dbEnc[Int(sp.latents[e])] += sp.grads[e] }
            }
        }

        ws.clock?.lap(.latentGradients)
        // dW_enc and, untied, dW_dec, latents split over the pool.
        buildLatentMajorIndex(rowCount: B, workspace: &ws)
        var finite = encoderWeightGradients(x, scale: s, workspace: &ws, gradients: &g)
        if !architecture.isTied {
            finite = decoderWeightGradients(scale: s, l1PerRow: weighted ? l1PerRow : nil, workspace: &ws,
                                            gradients: &g) && finite
        }
        if let terms, terms.loss == .tanh {
            addTanhDecoderGradients(rowCount: B, terms: terms, workspace: ws, gradients: &g)
            finite = false  // the tanh term was added after the kernels' finiteness check
        }
        ws.weightGradientsKnownFinite = finite
        ws.clock?.lap(.weightGradients)
        decoderBiasGradient(rowCount: B, scale: s, workspace: ws, gradients: &g)
        ws.clock?.lap(.biasGradients)
        return losses
    }

    /// dW_enc from the latent-major index (tied: with the decoder's share); whether it is all finite.
    private func encoderWeightGradients(_ x: [Float], scale s: Float, workspace ws: inout SAEWorkspace,
                                        gradients g: inout SAEWeights) -> Bool {
        let C = dIn, H = dSAE
        let pool = ws.pool
        let input = applyBDecToInput ? ws.centered : x
        let tileFloats = SparseKernels.encoderTileLatentCount * C
        ws.sparse.withPointers { sp in
            g.wEnc.withUnsafeMutableBufferPointer { dWEnc in
                ws.encoderTileScratch.withUnsafeMutableBufferPointer { scratch in
                    input.withUnsafeBufferPointer { inp in
                        ws.residuals.withUnsafeBufferPointer { res in
                            let dWEnc = dWEnc.baseAddress!, scratch = scratch.baseAddress!, inp = inp.baseAddress!
                            let tied = architecture.isTied
                                ? (residuals: res.baseAddress!, values: UnsafePointer(sp.values), scale: s) : nil
                            ws.partFlags.withUnsafeMutableBufferPointer { flags in
                            let flags = flags.baseAddress!
                            pool.run { part in
                                flags[part] = SparseKernels.encoderWeightGradients(
                                    dWEnc: dWEnc, scratch: scratch + part * tileFloats, input: inp,
                                    latentStarts: sp.latentStarts, slotRows: sp.slotRows, slotEntries: sp.slotEntries,
                                    grads: sp.grads, tied: tied, C: C, H: H,
                                    latentRange: WorkerPool.range(H, part: part, of: pool.threadCount)) ? 1 : 0
                            }
                            }
                        }
                    }
                }
            }
        }
        return !ws.partFlags.contains(0)
    }

    /// dW_dec from the latent-major index, with the decoder-norm L1 term when `l1PerRow` is
    /// given; whether every row it wrote is finite.
    private func decoderWeightGradients(scale s: Float, l1PerRow: Float?, workspace ws: inout SAEWorkspace,
                                        gradients g: inout SAEWeights) -> Bool {
        let C = dIn, H = dSAE
        let pool = ws.pool
        let zeroing = ws.zeroesUnfiredDecoderRows
        ws.sparse.withPointers { sp in
            g.wDec.withUnsafeMutableBufferPointer { dWDec in
                ws.residuals.withUnsafeBufferPointer { res in
                    weights.wDec.withUnsafeBufferPointer { wDec in
                        ws.latentActSums.withUnsafeBufferPointer { sums in
                            ws.decoderRowNorms.withUnsafeBufferPointer { norms in
                                let dWDec = dWDec.baseAddress!, res = res.baseAddress!
                                let l1 = l1PerRow.map { (perRow: $0, latentSums: sums.baseAddress!,
                                                         decoder: wDec.baseAddress!, norms: norms.baseAddress!) }
                                ws.partFlags.withUnsafeMutableBufferPointer { flags in
                                let flags = flags.baseAddress!
                                pool.run { part in
                                    flags[part] = SparseKernels.decoderWeightGradients(
                                        dDecoder: dWDec, latentStarts: sp.latentStarts, slotRows: sp.slotRows,
                                        slotEntries: sp.slotEntries, values: sp.values, residuals: res, scale: s,
                                        l1: l1, C: C, latentRange: WorkerPool.range(H, part: part, of: pool.threadCount),
                                        zeroingUnfiredRows: zeroing) ? 1 : 0
                                }
                                }
                            }
                        }
                    }
                }
            }
        }
        return !ws.partFlags.contains(0)
    }

    /// x̂ = f · W_dec + b_dec (tied: f · W_encᵀ + b_dec, from `ws.decoderRows`) into
    /// `ws.residuals` from the CSR (`gatherOpenLatents` first).
    func decodeOpenLatents(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn, H = dSAE
        let pool = ws.pool
        let decoder = architecture.isTied ? ws.decoderRows : weights.wDec
        ws.sparse.withPointers { sp in
            ws.residuals.withUnsafeMutableBufferPointer { out in
                ws.rowCursors.withUnsafeMutableBufferPointer { cursors in
                    decoder.withUnsafeBufferPointer { decoder in
                        weights.bDec.withUnsafeBufferPointer { bDec in
                            let out = out.baseAddress!, cursors = cursors.baseAddress!
                            let decoder = decoder.baseAddress!, bDec = bDec.baseAddress!
                            pool.run { part in
                                SparseKernels.decode(out: out, rowStarts: sp.rowStarts, latents: sp.latents,
                                                     values: sp.values, decoder: decoder, bDec: bDec, subtracting: nil,
                                                     cursors: cursors, C: C, H: H,
                                                     latentBlock: SparseKernels.decoderBlockLatentCount(C: C),
                                                     rows: WorkerPool.range(B, part: part, of: pool.threadCount))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Fills the CSR of f from `ws.acts` and `ws.rowOpenCounts` (rows split over the pool).
    func gatherOpenLatents(rowCount B: Int, openCount: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE
        let pool = ws.pool
        ws.sparse.resize(entryCount: openCount)
        var offset: Int32 = 0
        for b in 0..<B {
            ws.sparse.rowStarts[b] = offset
            offset += ws.rowOpenCounts[b]
        }
        ws.sparse.rowStarts[B] = offset
        ws.sparse.withPointers { sp in
            ws.acts.withUnsafeBufferPointer { f in
                let f = f.baseAddress!
                pool.run { part in
                    SparseKernels.gather(latents: sp.latents, values: sp.values, f: f, rowStarts: sp.rowStarts, H: H,
                                         rows: WorkerPool.range(B, part: part, of: pool.threadCount))
                }
            }
        }
    }

    /// `ws.latentActSums` and `ws.firedRowCounts` from the CSR, summed in row order like the
    /// dense tally, so both paths give the same values.
    private func tallyOpenLatents(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let entryCount = ws.sparse.entryCount
        ws.sparse.withPointers { sp in
            ws.latentActSums.withUnsafeMutableBufferPointer { sums in
                ws.firedRowCounts.withUnsafeMutableBufferPointer { fired in
                    sums.update(repeating: 0)
                    fired.update(repeating: 0)
                    for e in 0..<entryCount {
                        let j = Int(sp.latents[e])
                        sums[j] += Double(sp.values[e])
                        fired[j] += 1
                    }
                }
            }
        }
    }

    /// The latent-major index of the CSR, from the per-latent fired counts.
    private func buildLatentMajorIndex(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE
        ws.sparse.withPointers { sp in
            ws.firedRowCounts.withUnsafeBufferPointer { fired in
                SparseKernels.indexByLatent(sp, firedRowCounts: fired.baseAddress!, B: B, H: H)
            }
        }
    }

    /// `ws.decoderRows` = W_encᵀ, the tied decoder as rows (latents split over the pool).
    func transposeEncoder(workspace ws: inout SAEWorkspace) {
        let C = dIn, H = dSAE
        let pool = ws.pool
        if ws.decoderRows.count != H * C { ws.decoderRows = [Float](repeating: 0, count: H * C) }
        ws.decoderRows.withUnsafeMutableBufferPointer { out in
            weights.wEnc.withUnsafeBufferPointer { w in
                let out = out.baseAddress!, w = w.baseAddress!
                pool.run { part in
                    SparseKernels.transpose(out: out, w, C: C, H: H,
                                            latentRange: WorkerPool.range(H, part: part, of: pool.threadCount))
                }
            }
        }
    }
}
