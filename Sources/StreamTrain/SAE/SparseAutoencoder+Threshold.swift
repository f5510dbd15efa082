extension SparseAutoencoder {
    /// BatchTopK in training: ReLU, then only the k·B largest values of the batch stay
    /// (`BatchTopKSelection` order); counts each row's open latents and leaves the smallest kept
    /// value in `ws.batchTopKMinimum` (0 when nothing is open) for the inference threshold.
    // ws.acts: (B,H) pre-activations in, f out; ws.rowOpenCounts: (B)
    func applyBatchTopK(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE, count = B * H, keep = k * B
        if ws.batchTopKScratch.count < count { ws.batchTopKScratch = [Float](repeating: 0, count: count) }
        var minimum = Float.infinity
        ws.acts.withUnsafeMutableBufferPointer { acts in
            ws.batchTopKScratch.withUnsafeMutableBufferPointer { scratch in
                ws.rowOpenCounts.withUnsafeMutableBufferPointer { counts in
                    let acts = acts.baseAddress!
                    let cutoff = BatchTopKSelection.cutoff(acts, count: count, keep: keep, scratch: scratch.baseAddress!)
                    // Values equal to the cutoff are kept in flat order until the budget is spent.
                    var ties = 0
                    if let cutoff {
                        var above = 0
                        for i in 0..<count where acts[i] > cutoff { above += 1 }
                        ties = keep - above
                    }
                    for b in 0..<B {
                        var open: Int32 = 0
                        for j in 0..<H {
                            let i = b * H + j
                            let v = acts[i]
                            var kept = v > 0
                            if kept, let cutoff {
                                if v < cutoff || v.isNaN {
                                    kept = v.isNaN
                                } else if v == cutoff {
                                    kept = ties > 0
                                    if kept { ties -= 1 }
                                }
                            }
                            if kept {
                                open += 1
                                if v < minimum { minimum = v }
                            } else if !v.isNaN {
                                acts[i] = 0
                            }
                        }
                        counts[b] = open
                    }
                }
            }
        }
        ws.batchTopKMinimum = minimum.isFinite ? minimum : 0
    }

    /// f = max(pre, 0)·[pre > θ_j] in place (jumprelu; batchtopk at inference), counting each
    /// row's open latents (rows split over the pool).
    // ws.acts: (B,H) pre-activations in, f out; ws.rowOpenCounts: (B); θ: (H)
    func applyThreshold(rowCount B: Int, workspace ws: inout SAEWorkspace) {
        let H = dSAE
        let pool = ws.pool
        ws.acts.withUnsafeMutableBufferPointer { acts in
            ws.rowOpenCounts.withUnsafeMutableBufferPointer { counts in
                weights.threshold.withUnsafeBufferPointer { theta in
                    let acts = acts.baseAddress!, counts = counts.baseAddress!, theta = theta.baseAddress!
                    pool.run { part in
                        for b in WorkerPool.range(B, part: part, of: pool.threadCount) {
                            let row = acts + b * H
                            var open: Int32 = 0
                            for j in 0..<H {
                                let v = row[j]
                                // NaN stays NaN (neither test holds), so it reaches the loss check.
                                if v > theta[j] && v > 0 { open += 1 } else if !v.isNaN { row[j] = 0 }
                            }
                            counts[b] = open
                        }
                    }
                }
            }
        }
    }
}
