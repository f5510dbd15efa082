extension SparseAutoencoder {
    /// Encodes rows 0..<B of `x` into `ws.acts` (f) and fills `ws.firedRowCounts`,
    /// `ws.latentActSums` and, for the standard SAE, `ws.decoderRowNorms`.
    // x: (B,C), ws.acts: (B,H)
    func encodeBatch(_ x: [Float], rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn, H = dSAE
        precondition(B > 0 && B <= ws.maxRowCount, "batch of \(B) rows, workspace holds \(ws.maxRowCount)")
        precondition(x.count >= B * C, "batch holds \(x.count) floats, \(B) rows need \(B * C)")
        if applyBDecToInput {
            centerInput(x, rowCount: B, into: &ws.centered)
        }
        // pre = inp · W_enc + b_enc, with b_enc broadcast first so gemm accumulates onto it.
        ws.acts.withUnsafeMutableBufferPointer { acts in
            weights.bEnc.withUnsafeBufferPointer { bEnc in
                for b in 0..<B {
                    (acts.baseAddress! + b * H).update(from: bEnc.baseAddress!, count: H)
                }
            }
            let input = applyBDecToInput ? ws.centered : x
            input.withUnsafeBufferPointer { inp in
                weights.wEnc.withUnsafeBufferPointer { wEnc in
                    BLAS.gemm(transposeA: false, transposeB: false, M: B, N: H, K: C, alpha: 1,
                              a: inp.baseAddress!, b: wEnc.baseAddress!, beta: 1,
                              c: acts.baseAddress!)
                }
            }
        }
        if architecture == .topk {
            applyTopK(rowCount: B, workspace: &ws)
        } else {
            ws.acts.withUnsafeMutableBufferPointer { acts in
                // `< 0` rather than `!(> 0)`: a NaN must survive to the loss check, not turn into 0.
                for i in 0..<(B * H) where acts[i] < 0 { acts[i] = 0 }
            }
        }
        tallyActivations(rowCount: B, workspace: &ws)
        if architecture.weightsL1ByDecoderNorm {
            computeDecoderRowNorms(into: &ws.decoderRowNorms)
        }
    }

    /// Writes x̂ − x for rows 0..<B into `ws.residuals` (needs `encodeBatch` first).
    // ws.residuals: (B,C), ws.acts: (B,H), x: (B,C)
    func decodeResiduals(_ x: [Float], rowCount B: Int, workspace ws: inout SAEWorkspace) {
        decodeBatch(rowCount: B, workspace: &ws)
        ws.residuals.withUnsafeMutableBufferPointer { res in
            x.withUnsafeBufferPointer { x in
                for i in 0..<(B * dIn) { res[i] -= x[i] }
            }
        }
    }

    /// Writes x̂ = f · W_dec + b_dec for rows 0..<B into `ws.residuals`.
    // ws.residuals: (B,C), ws.acts: (B,H), W_dec: (H,C) (or W_enc: (C,H) transposed when tied)
    func decodeBatch(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let C = dIn, H = dSAE
        ws.residuals.withUnsafeMutableBufferPointer { res in
            weights.bDec.withUnsafeBufferPointer { bDec in
                for b in 0..<B { (res.baseAddress! + b * C).update(from: bDec.baseAddress!, count: C) }
            }
            ws.acts.withUnsafeBufferPointer { f in
                let decoder = architecture.isTied ? weights.wEnc : weights.wDec
                decoder.withUnsafeBufferPointer { w in
                    BLAS.gemm(transposeA: false, transposeB: architecture.isTied, M: B, N: C, K: H,
                              alpha: 1, a: f.baseAddress!, b: w.baseAddress!, beta: 1,
                              c: res.baseAddress!)
                }
            }
        }
    }

    // out: (B,C), x: (B,C), b_dec: (C)
    private func centerInput(_ x: [Float], rowCount B: Int, into out: inout [Float]) {
        let C = dIn
        out.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { x in
                weights.bDec.withUnsafeBufferPointer { bDec in
                    for b in 0..<B {
                        for c in 0..<C { out[b * C + c] = x[b * C + c] - bDec[c] }
                    }
                }
            }
        }
    }

    /// Keeps each row's k largest pre-activations (ties: the lower latent index wins), ReLU'd;
    /// zeroes the rest. A size-k min-heap makes it O(H log k) per row.
    // ws.acts: (B,H) pre-activations in, f out
    private func applyTopK(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE, K = k
        ws.acts.withUnsafeMutableBufferPointer { acts in
            ws.topkHeap.withUnsafeMutableBufferPointer { heap in
                ws.topkValues.withUnsafeMutableBufferPointer { kept in
                    for b in 0..<B {
                        let row = acts.baseAddress! + b * H
                        TopKSelection.select(row: row, count: H, k: K, heap: heap.baseAddress!)
                        for i in 0..<K { kept[i] = row[heap[i]] }
                        row.update(repeating: 0, count: H)
                        for i in 0..<K where kept[i] > 0 { row[heap[i]] = kept[i] }
                    }
                }
            }
        }
    }

    // ws.latentActSums, ws.firedRowCounts: (H), from ws.acts: (B,H)
    private func tallyActivations(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE
        ws.latentActSums.withUnsafeMutableBufferPointer { sums in
            ws.firedRowCounts.withUnsafeMutableBufferPointer { fired in
                ws.acts.withUnsafeBufferPointer { f in
                    sums.update(repeating: 0)
                    fired.update(repeating: 0)
                    for b in 0..<B {
                        for j in 0..<H {
                            let value = f[b * H + j]
                            if value > 0 {
                                sums[j] += Double(value)
                                fired[j] += 1
                            }
                        }
                    }
                }
            }
        }
    }

    // norms: (H), from W_dec: (H,C)
    func computeDecoderRowNorms(into norms: inout [Float]) {
        let C = dIn
        weights.wDec.withUnsafeBufferPointer { w in
            for j in 0..<dSAE {
                var sumSquares: Float = 0
                for c in 0..<C { sumSquares += w[j * C + c] * w[j * C + c] }
                norms[j] = sumSquares.squareRoot()
            }
        }
    }
}
