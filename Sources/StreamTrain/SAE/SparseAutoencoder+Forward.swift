import BLASKernels

extension SparseAutoencoder {
    /// Encodes rows 0..<B of `x` into `ws.acts` (f) and `ws.rowOpenCounts` (latents with
    /// f > 0 per row); returns the batch's open count. Nothing on the decoder side: this is all
    /// an encode-only scan needs.
    // x: (B,C), ws.acts: (B,H)
    @discardableResult
    func encodeLatents(_ x: [Float], rowCount B: Int, workspace ws: inout SAEWorkspace) -> Int {
        // The gated SAE's two paths share one product with no bias (SparseAutoencoder+Gated).
        if architecture == .gated { return encodeGated(x, rowCount: B, workspace: &ws) }
        encodePreActivations(x, rowCount: B, workspace: &ws)
        if ws.keepsPreActivations {
            // jumprelu's threshold gradient and AuxK read pre-activations where f is 0.
            let count = B * dSAE
            if ws.preActs.count < count { ws.preActs = [Float](repeating: 0, count: ws.maxRowCount * dSAE) }
            ws.preActs.withUnsafeMutableBufferPointer { pre in
                ws.acts.withUnsafeBufferPointer { acts in pre.baseAddress!.update(from: acts.baseAddress!, count: count) }
            }
        }
        switch architecture {
        case .topk: applyTopK(rowCount: B, workspace: &ws)
        case .batchtopk where ws.training, .matryoshka where ws.training: applyBatchTopK(rowCount: B, workspace: &ws)
        case .batchtopk, .jumprelu, .matryoshka: applyThreshold(rowCount: B, workspace: &ws)
        case .tied, .standard: applyReLU(rowCount: B, workspace: &ws)
        case .gated: preconditionFailure("gated SAEs encode in encodeGated")
        }
        ws.clock?.lap(.activation)
        var open = 0
        for b in 0..<B { open += Int(ws.rowOpenCounts[b]) }
        return open
    }

    /// Writes the pre-activations (x − b_dec?) · W_enc + b_enc of rows 0..<B into `ws.acts`.
    // x: (B,C), ws.acts: (B,H)
    func encodePreActivations(_ x: [Float], rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn, H = dSAE
        precondition(B > 0 && B <= ws.maxRowCount, "batch of \(B) rows, workspace holds \(ws.maxRowCount)")
        precondition(x.count >= B * C, "batch holds \(x.count) floats, \(B) rows need \(B * C)")
        if applyBDecToInput {
            centerInput(x, rowCount: B, into: &ws.centered, pool: ws.pool)
        }
        // pre = inp · W_enc + b_enc, with b_enc broadcast first (rows split over the pool) so
        // gemm accumulates onto it.
        let pool = ws.pool
        ws.acts.withUnsafeMutableBufferPointer { acts in
            weights.bEnc.withUnsafeBufferPointer { bEnc in
                let acts = acts.baseAddress!, bEnc = bEnc.baseAddress!
                pool.run { part in
                    for b in WorkerPool.range(B, part: part, of: pool.threadCount) {
                        (acts + b * H).update(from: bEnc, count: H)
                    }
                }
            }
            let input = applyBDecToInput ? ws.centered : x
            input.withUnsafeBufferPointer { inp in
                weights.wEnc.withUnsafeBufferPointer { wEnc in
                    BLAS.sgemm(acts.baseAddress!, inp.baseAddress!, wEnc.baseAddress!, m: B, n: H, k: C, alpha: 1, beta: 1)
                }
            }
        }
        ws.clock?.lap(.encoderProduct)
    }

    /// Writes x̂ − x for rows 0..<B into `ws.residuals` and each row's Σ (x̂ − x)² into
    /// `ws.rowSquares` (needs `encodeLatents` first).
    // ws.residuals: (B,C), ws.acts: (B,H), x: (B,C), ws.rowSquares: (B)
    func decodeResiduals(_ x: [Float], rowCount B: Int, workspace ws: inout SAEWorkspace) {
        decodeBatch(rowCount: B, workspace: &ws)
        residualSquares(subtracting: x, rowCount: B, workspace: &ws)
    }

    /// `ws.rowSquares[b]` = Σ_c r[b, c]² (Double) of the residuals, after subtracting `x` from
    /// `ws.residuals` when given (rows split over the pool; each row is summed alone, so the
    /// split does not change a value).
    // ws.residuals: (B,C), x: (B,C), ws.rowSquares: (B)
    func residualSquares(subtracting x: [Float]?, rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn
        let pool = ws.pool
        ws.residuals.withUnsafeMutableBufferPointer { res in
            ws.rowSquares.withUnsafeMutableBufferPointer { squares in
                let res = res.baseAddress!, squares = squares.baseAddress!
                func run(_ x: UnsafePointer<Float>?) {
                    pool.run { part in
                        DenseKernels.residuals(res, rowSquares: squares, subtracting: x, C: C,
                                               rows: WorkerPool.range(B, part: part, of: pool.threadCount))
                    }
                }
                guard let x else { return run(nil) }
                x.withUnsafeBufferPointer { x in run(x.baseAddress!) }
            }
        }
    }

    /// Writes x̂ = f · W_dec + b_dec for rows 0..<B into `ws.residuals`.
    // ws.residuals: (B,C), ws.acts: (B,H), W_dec: (H,C) (or W_enc: (C,H) transposed when tied)
    func decodeBatch(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn, H = dSAE
        let pool = ws.pool
        ws.residuals.withUnsafeMutableBufferPointer { res in
            weights.bDec.withUnsafeBufferPointer { bDec in
                let res = res.baseAddress!, bDec = bDec.baseAddress!
                pool.run { part in
                    for b in WorkerPool.range(B, part: part, of: pool.threadCount) {
                        (res + b * C).update(from: bDec, count: C)
                    }
                }
            }
            ws.acts.withUnsafeBufferPointer { f in
                let decoder = architecture.isTied ? weights.wEnc : weights.wDec
                decoder.withUnsafeBufferPointer { w in
                    BLAS.sgemm(res.baseAddress!, f.baseAddress!, w.baseAddress!, transposeB: architecture.isTied, m: B, n: C, k: H, alpha: 1, beta: 1)
                }
            }
        }
    }

    // out: (B,C), x: (B,C), b_dec: (C)
    func centerInput(_ x: [Float], rowCount B: Int, into out: inout [Float], pool: WorkerPool) {
        let C = dIn
        out.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { x in
                weights.bDec.withUnsafeBufferPointer { bDec in
                    let out = out.baseAddress!, x = x.baseAddress!, bDec = bDec.baseAddress!
                    pool.run { part in
                        for b in WorkerPool.range(B, part: part, of: pool.threadCount) {
                            for c in 0..<C { out[b * C + c] = x[b * C + c] - bDec[c] }
                        }
                    }
                }
            }
        }
    }

    /// ReLU in place, counting each row's open latents; rows are split over the pool.
    // ws.acts: (B,H) pre-activations in, f out; ws.rowOpenCounts: (B)
    private func applyReLU(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE
        let pool = ws.pool
        ws.acts.withUnsafeMutableBufferPointer { acts in
            ws.rowOpenCounts.withUnsafeMutableBufferPointer { counts in
                let acts = acts.baseAddress!, counts = counts.baseAddress!
                pool.run { part in
                    DenseKernels.relu(acts: acts, rowOpenCounts: counts, H: H,
                                      rows: WorkerPool.range(B, part: part, of: pool.threadCount))
                }
            }
        }
    }

    /// Keeps each row's k largest pre-activations (ties: the lower latent index wins), ReLU'd;
    /// zeroes the rest. A size-k min-heap makes it O(H log k) per row; rows are split over the pool.
    // ws.acts: (B,H) pre-activations in, f out; ws.rowOpenCounts: (B)
    private func applyTopK(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE, K = k
        let pool = ws.pool
        ws.acts.withUnsafeMutableBufferPointer { acts in
            ws.topkHeap.withUnsafeMutableBufferPointer { heaps in
                ws.topkValues.withUnsafeMutableBufferPointer { keptValues in
                    ws.topkCandidates.withUnsafeMutableBufferPointer { candidates in
                        ws.rowOpenCounts.withUnsafeMutableBufferPointer { counts in
                            let acts = acts.baseAddress!, heaps = heaps.baseAddress!, candidates = candidates.baseAddress!
                            let keptValues = keptValues.baseAddress!, counts = counts.baseAddress!
                            pool.run { part in
                                let heap = heaps + part * K, kept = keptValues + part * K
                                let scratch = candidates + part * H
                                for b in WorkerPool.range(B, part: part, of: pool.threadCount) {
                                    let row = acts + b * H
                                    TopKSelection.select(row: row, count: H, k: K, heap: heap, candidates: scratch)
                                    for i in 0..<K { kept[i] = row[heap[i]] }
                                    row.update(repeating: 0, count: H)
                                    var open: Int32 = 0
                                    for i in 0..<K where kept[i] > 0 {
                                        row[heap[i]] = kept[i]
                                        open += 1
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

    /// ‖W_dec[j]‖ for every latent, latents split over `pool` when given (each norm is summed
    /// in the same order whatever the split: `SparseKernels.dot`, vector lanes or OpenBLAS's
    /// sdot for long rows, instead of one sequential sum whose dependency chain made this a
    /// millisecond-scale pass at 768 × 6144).
    // norms: (H), from W_dec: (H,C)
    func computeDecoderRowNorms(into norms: inout [Float], pool: WorkerPool? = nil) {
        let C = dIn, H = dSAE
        weights.wDec.withUnsafeBufferPointer { w in
            norms.withUnsafeMutableBufferPointer { norms in
                let w = w.baseAddress!, norms = norms.baseAddress!
                func rowNorms(_ latents: Range<Int>) {
                    for j in latents {
                        let row = w + j * C
                        norms[j] = SparseKernels.dot(row, row, C).squareRoot()
                    }
                }
                guard let pool else { return rowNorms(0..<H) }
                pool.run { part in rowNorms(WorkerPool.range(H, part: part, of: pool.threadCount)) }
            }
        }
    }
}
