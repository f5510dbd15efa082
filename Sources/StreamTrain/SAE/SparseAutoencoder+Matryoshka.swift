import BLASKernels

extension SparseAutoencoder {
    /// Matryoshka's inner levels (SAELens 6.54 `MatryoshkaBatchTopKTrainingSAE`), added after the
    /// BatchTopK step (dense or sparse) has left f in `ws.acts` and the outer level's gradients in
    /// `g`. With widths w_0 < … < w_{L−1} < d_sae (the inner levels; the outer one, d_sae, is the
    /// BatchTopK step itself) and the batch's f from the one selection over all latents:
    ///   x̂_m = b_dec + f[:, :w_m] · W_dec[:w_m]          (every prefix decodes with b_dec)
    ///   L_m = Σ_b Σ_c (x̂_m − x)² / B                     (SAELens' sum over d_in, mean over rows)
    /// and the loss gains Σ_m L_m (summed, not averaged, and nothing detached, as SAELens).
    /// A latent of group g (latents w_{g−1}..<w_g) is in levels g…L−1, so its share of the inner
    /// gradients reads R_g = Σ_{m ≥ g} (x̂_m − x): one product per group instead of per level.
    /// Returns Σ_m L_m. The inner products are sgemms over prefix slices of f and W_dec whatever
    /// kernels the outer step used: the prefixes are a fraction of the latents, and f's prefix
    /// columns are read in place (leading dimension d_sae).
    // x: (B,C), ws.acts: (B,H) f; g: shaped like `weights`
    func addMatryoshkaLevels(_ x: [Float], rowCount B: Int, widths: [Int], workspace ws: inout SAEWorkspace,
                             gradients g: inout SAEWeights) -> Double {
        let C = dIn, H = dSAE
        let inner = widths.filter { $0 < H }
        guard let widest = inner.last else { return 0 }
        precondition(zip(inner, inner.dropFirst()).allSatisfy { $0 < $1 } && inner[0] > 0,
                     "matryoshka widths \(widths) are not strictly increasing positive widths")
        let levels = inner.count
        if ws.matryoshkaResiduals.count < levels * ws.maxRowCount * C {
            ws.matryoshkaResiduals = [Float](repeating: 0, count: levels * ws.maxRowCount * C)
        }
        if ws.matryoshkaLatentGrads.count < ws.maxRowCount * widest {
            ws.matryoshkaLatentGrads = [Float](repeating: 0, count: ws.maxRowCount * widest)
        }
        if ws.matryoshkaEncoderBiasGrads.count != H { ws.matryoshkaEncoderBiasGrads = [Float](repeating: 0, count: H) }
        let s = reconstructionScale(rowCount: B)
        let levelFloats = B * C
        var total = 0.0
        ws.matryoshkaResiduals.withUnsafeMutableBufferPointer { res in
            ws.acts.withUnsafeBufferPointer { f in
                weights.wDec.withUnsafeBufferPointer { wDec in
                    weights.bDec.withUnsafeBufferPointer { bDec in
                        x.withUnsafeBufferPointer { x in
                            let res = res.baseAddress!, f = f.baseAddress!, wDec = wDec.baseAddress!
                            let bDec = bDec.baseAddress!, x = x.baseAddress!
                            // Forward, level by level: r_m = r_{m−1} + f[:, group m] · W_dec[group m],
                            // r_{−1} = b_dec − x.
                            var start = 0
                            for m in 0..<levels {
                                let r = res + m * levelFloats
                                if m == 0 {
                                    for b in 0..<B { for c in 0..<C { r[b * C + c] = bDec[c] - x[b * C + c] } }
                                } else {
                                    r.update(from: r - levelFloats, count: levelFloats)
                                }
                                BLAS.sgemm(r, ldc: C, f + start, lda: H, wDec + start * C, ldb: C,
                                           m: B, n: C, k: inner[m] - start, alpha: 1, beta: 1)
                                // Rows summed alone and then in row order, as the outer loss is.
                                for b in 0..<B {
                                    var rowSum = 0.0
                                    for c in 0..<C { rowSum += Double(r[b * C + c]) * Double(r[b * C + c]) }
                                    total += rowSum / Double(B)
                                }
                                start = inner[m]
                            }
                            // Suffix sums in place: level g's buffer becomes R_g.
                            if levels > 1 {
                                for m in stride(from: levels - 2, through: 0, by: -1) {
                                    let r = res + m * levelFloats, next = r + levelFloats
                                    for i in 0..<levelFloats { r[i] += next[i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        // dL/df for the inner groups: s · R_g · W_dec[group g]ᵀ, into a (B, widest) buffer,
        // then kept only where f > 0 (BatchTopK passes gradient exactly where it kept a value).
        ws.matryoshkaLatentGrads.withUnsafeMutableBufferPointer { dPre in
            ws.matryoshkaResiduals.withUnsafeBufferPointer { res in
                weights.wDec.withUnsafeBufferPointer { wDec in
                    ws.acts.withUnsafeBufferPointer { f in
                        let dPre = dPre.baseAddress!, res = res.baseAddress!, wDec = wDec.baseAddress!, f = f.baseAddress!
                        var start = 0
                        for m in 0..<levels {
                            BLAS.sgemm(dPre + start, ldc: widest, res + m * levelFloats, lda: C,
                                       wDec + start * C, ldb: C, transposeB: true,
                                       m: B, n: inner[m] - start, k: C, alpha: s, beta: 0)
                            start = inner[m]
                        }
                        for b in 0..<B {
                            for j in 0..<widest where !(f[b * H + j] > 0) { dPre[b * widest + j] = 0 }
                        }
                    }
                }
            }
        }
        // db_enc and dW_enc of the prefix latents; dW_dec per group; db_dec from R_0.
        ws.matryoshkaEncoderBiasGrads.withUnsafeMutableBufferPointer { dbEncInner in
            ws.matryoshkaLatentGrads.withUnsafeBufferPointer { dPre in
                ws.matryoshkaResiduals.withUnsafeBufferPointer { res in
                    ws.acts.withUnsafeBufferPointer { f in
                        let input = applyBDecToInput ? ws.centered : x
                        input.withUnsafeBufferPointer { inp in
                            g.wEnc.withUnsafeMutableBufferPointer { dWEnc in
                                g.wDec.withUnsafeMutableBufferPointer { dWDec in
                                    g.bEnc.withUnsafeMutableBufferPointer { dbEnc in
                                        g.bDec.withUnsafeMutableBufferPointer { dbDec in
                                            let dPre = dPre.baseAddress!, res = res.baseAddress!, f = f.baseAddress!
                                            dbEncInner.update(repeating: 0)
                                            for b in 0..<B {
                                                for j in 0..<widest { dbEncInner[j] += dPre[b * widest + j] }
                                            }
                                            for j in 0..<widest { dbEnc[j] += dbEncInner[j] }
                                            // dW_enc[:, :widest] += inpᵀ · dPre  (C, widest), leading dimension H
                                            BLAS.sgemm(dWEnc.baseAddress!, ldc: H, inp.baseAddress!, lda: C, transposeA: true,
                                                       dPre, ldb: widest, m: C, n: widest, k: B, alpha: 1, beta: 1)
                                            var start = 0
                                            for m in 0..<levels {
                                                // dW_dec[group m] += s · f[:, group m]ᵀ · R_m
                                                BLAS.sgemm(dWDec.baseAddress! + start * C, ldc: C, f + start, lda: H,
                                                           transposeA: true, res + m * levelFloats, ldb: C,
                                                           m: inner[m] - start, n: C, k: B, alpha: s, beta: 1)
                                                start = inner[m]
                                            }
                                            for c in 0..<C {
                                                var sum: Float = 0
                                                for b in 0..<B { sum += res[b * C + c] }
                                                dbDec[c] += s * sum
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
        if applyBDecToInput {
            // x_in = x − b_dec: b_dec also receives −W_enc · (the inner levels' db_enc).
            g.bDec.withUnsafeMutableBufferPointer { dbDec in
                weights.wEnc.withUnsafeBufferPointer { w in
                    ws.matryoshkaEncoderBiasGrads.withUnsafeBufferPointer { dbEnc in
                        BLAS.sgemv(dbDec.baseAddress!, w.baseAddress!, m: C, n: H, dbEnc.baseAddress!, alpha: -1, beta: 1)
                    }
                }
            }
        }
        return total
    }
}
