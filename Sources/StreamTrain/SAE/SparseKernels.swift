import BLASKernels

/// The sparse products of an SAE step, over a batch's open latents in `SparseLatents` form.
/// Each kernel fills one part of its output (a range of rows or of latents) so
/// that `WorkerPool` parts never write the same element; `SparseKernelsReference` holds the
/// plain loops each one is tested against.
///
/// Decoder-side kernels read a decoder as (H,C) rows: W_dec for the untied SAEs and a
/// transposed copy of W_enc for the tied one, so every inner loop runs over C contiguous floats.
enum SparseKernels {
    // MARK: - CSR construction

    /// Writes the open entries (f > 0) of rows in `rows` into the CSR arrays; `rowStarts` must
    /// already hold each row's offset (from the per-row counts).
    // latents, values: (nnz), f: (B,H), rowStarts: (B+1)
    static func gather(latents: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>,
                       f: UnsafePointer<Float>, rowStarts: UnsafePointer<Int32>, H: Int, rows: Range<Int>) {
        for b in rows {
            var e = Int(rowStarts[b])
            let end = Int(rowStarts[b + 1])
            let row = f + b * H
            // Branch-free on the value (open latents are unpredictable): every value is written
            // at the cursor, which moves on only past an open one, so a closed value is
            // overwritten by the next open one. Once the row's entries are complete nothing
            // more is written (the next row, maybe another thread's, starts there).
            @inline(__always) func take(_ j: Int) {
                let value = row[j]
                if e < end {
                    latents[e] = Int32(j)
                    values[e] = value
                }
                e += value > 0 ? 1 : 0
            }
            // Sparse rows are mostly zeros: skip eight at a time.
            var j = 0
            while j + 8 <= H {
                if any(UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self) .> 0) {
                    for lane in j..<(j + 8) { take(lane) }
                }
                j += 8
            }
            while j < H {
                take(j)
                j += 1
            }
            precondition(e == Int(rowStarts[b + 1]), "row \(b): \(e - Int(rowStarts[b])) open latents, counted \(Int(rowStarts[b + 1] - rowStarts[b]))")
        }
    }

    /// Fills the latent-major index (`latentStarts`, `slotRows`, `slotEntries`) of the CSR in
    /// `sp`: a counting sort by latent, so each latent's slots keep ascending row order.
    // sp: CSR of (B,H), firedRowCounts: (H) entries per latent
    static func indexByLatent(_ sp: SparseLatents.Pointers, firedRowCounts: UnsafePointer<Int32>, B: Int, H: Int) {
        var offset: Int32 = 0
        for j in 0..<H {
            sp.latentStarts[j] = offset
            sp.slotCursors[j] = offset
            offset += firedRowCounts[j]
        }
        sp.latentStarts[H] = offset
        precondition(offset == sp.rowStarts[B], "fired counts sum to \(offset), the CSR holds \(sp.rowStarts[B]) entries")
        for b in 0..<B {
            for e in Int(sp.rowStarts[b])..<Int(sp.rowStarts[b + 1]) {
                let j = Int(sp.latents[e])
                let slot = Int(sp.slotCursors[j])
                sp.slotCursors[j] += 1
                sp.slotRows[slot] = Int32(b)
                sp.slotEntries[slot] = Int32(e)
            }
        }
    }

    // MARK: - Forward

    /// Latents per block of the decoder-side row kernels: about 512 KiB of decoder rows, so a
    /// block stays in L2 while every row of the part takes its entries from it (a row's
    /// entries are in ascending latent order, so each row resumes where the last block ended).
    /// Without blocking each entry pulls its decoder row from L3 or memory.
    /// (The kernels take the block as a parameter so tests can force many small blocks.)
    static func decoderBlockLatentCount(C: Int) -> Int { max(16, (512 * 1024) / (4 * C)) }

    /// x̂ = f · D + b_dec for rows in `rows`, minus x when `x` is given. Each row's entries
    /// are summed in ascending latent order (the blocks only reorder work across rows).
    // out: (B,C), CSR of f: (B,H), decoder: (H,C), bDec: (C), x: (B,C), cursors: (B) scratch
    static func decode(out: UnsafeMutablePointer<Float>, rowStarts: UnsafePointer<Int32>,
                       latents: UnsafePointer<Int32>, values: UnsafePointer<Float>,
                       decoder: UnsafePointer<Float>, bDec: UnsafePointer<Float>,
                       subtracting x: UnsafePointer<Float>?, cursors: UnsafeMutablePointer<Int32>,
                       C: Int, H: Int, latentBlock block: Int, rows: Range<Int>) {
        for b in rows {
            (out + b * C).update(from: bDec, count: C)
            cursors[b] = rowStarts[b]
        }
        var blockEnd = 0
        while blockEnd < H {
            blockEnd = min(blockEnd + block, H)
            for b in rows {
                let o = out + b * C, end = Int(rowStarts[b + 1])
                var e = Int(cursors[b])
                while e < end && Int(latents[e]) < blockEnd {
                    axpy(values[e], decoder + Int(latents[e]) * C, o, C)
                    e += 1
                }
                cursors[b] = Int32(e)
            }
        }
        if let x {
            for b in rows { subtract(x + b * C, from: out + b * C, C) }
        }
    }

    // MARK: - Backward

    /// dL/dpre at every open entry of rows in `rows`: s·(x̂ − x)[b] · D[j] plus the L1 term
    /// λ/B · w_j (w_j = `l1Weights[j]`, or 1 when nil). Closed entries have none: the
    /// activation's gradient is 0 there, so they are simply not stored. Blocked like `decode`.
    // grads: (nnz), residuals: (B,C), decoder: (H,C), l1Weights: (H), cursors: (B) scratch
    static func latentGradients(grads: UnsafeMutablePointer<Float>, rowStarts: UnsafePointer<Int32>,
                                latents: UnsafePointer<Int32>, residuals: UnsafePointer<Float>,
                                decoder: UnsafePointer<Float>, scale s: Float, l1PerRow: Float,
                                l1Weights: UnsafePointer<Float>?, cursors: UnsafeMutablePointer<Int32>,
                                C: Int, H: Int, latentBlock block: Int, rows: Range<Int>) {
        for b in rows { cursors[b] = rowStarts[b] }
        var blockEnd = 0
        while blockEnd < H {
            blockEnd = min(blockEnd + block, H)
            for b in rows {
                let r = residuals + b * C, end = Int(rowStarts[b + 1])
                var e = Int(cursors[b])
                while e < end && Int(latents[e]) < blockEnd {
                    let j = Int(latents[e])
                    grads[e] = s * dot(r, decoder + j * C, C) + (l1Weights.map { l1PerRow * $0[j] } ?? l1PerRow)
                    e += 1
                }
                cursors[b] = Int32(e)
            }
        }
    }

    /// dD[j] = s · Σ_b f[b,j] (x̂ − x)[b] for latents in `latentRange` (zero rows for latents
    /// that did not fire), plus, with `l1` given, SAELens' decoder-norm L1 term
    /// λ/B · (Σ_b f[b,j]) · D[j] / ‖D[j]‖.
    /// Returns whether every row it wrote is finite.
    // dDecoder: (H,C), residuals: (B,C), latent-major index of f: (B,H), decoder, norms: (H,C), (H)
    @discardableResult
    static func decoderWeightGradients(
        dDecoder: UnsafeMutablePointer<Float>, latentStarts: UnsafePointer<Int32>,
        slotRows: UnsafePointer<Int32>, slotEntries: UnsafePointer<Int32>, values: UnsafePointer<Float>,
        residuals: UnsafePointer<Float>, scale s: Float,
        l1: (perRow: Float, latentSums: UnsafePointer<Double>, decoder: UnsafePointer<Float>,
             norms: UnsafePointer<Float>)?,
        C: Int, latentRange: Range<Int>, zeroingUnfiredRows: Bool = true
    ) -> Bool {
        var finite = true
        for j in latentRange {
            let o = dDecoder + j * C
            let slots = Int(latentStarts[j])..<Int(latentStarts[j + 1])
            // A caller that knows which rows are zero (the trainer: Adam and the gradient check
            // skip them) can leave those rows unwritten.
            if slots.isEmpty && !zeroingUnfiredRows { continue }
            o.update(repeating: 0, count: C)
            if slots.isEmpty { continue }
            for slot in slots {
                axpy(values[Int(slotEntries[slot])], residuals + Int(slotRows[slot]) * C, o, C)
            }
            scale(o, by: s, C)
            if let l1, l1.latentSums[j] > 0, l1.norms[j] > 0 {
                axpy(l1.perRow * Float(l1.latentSums[j]) / l1.norms[j], l1.decoder + j * C, o, C)
            }
            // The row is in L1 now; the trainer's check would read it from memory.
            finite = finite && DenseKernels.allFinite(o, range: 0..<C)
        }
        return finite
    }

    /// Latents per tile of `encoderWeightGradients`: 16 floats are one 64-byte cache line of a
    /// W_enc row, and 16 rows of scratch (16 · C floats) stay in L1/L2 for C up to ~1 K.
    static let encoderTileLatentCount = 16

    /// dW_enc[:, j] = Σ_b dpre[b,j] · inp[b] for latents in `latentRange` (zero columns for
    /// latents that did not fire). With `tied` given, adds the decoder's share
    /// s · Σ_b f[b,j] · (x̂ − x)[b] (the tied decoder is W_encᵀ).
    ///
    /// W_enc is (C,H), so a latent's gradient is a strided column. Each tile of 16 latents is
    /// summed as 16 contiguous rows in `scratch` (vector axpys over C) and then written out
    /// transposed, one full cache line per input dimension.
    // dWEnc: (C,H), scratch: (16,C), input: (B,C), latent-major index of dpre (and f): (B,H),
    // residuals: (B,C). Returns whether every value it wrote is finite.
    @discardableResult
    static func encoderWeightGradients(
        dWEnc: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        latentStarts: UnsafePointer<Int32>, slotRows: UnsafePointer<Int32>, slotEntries: UnsafePointer<Int32>,
        grads: UnsafePointer<Float>,
        tied: (residuals: UnsafePointer<Float>, values: UnsafePointer<Float>, scale: Float)?,
        C: Int, H: Int, latentRange: Range<Int>
    ) -> Bool {
        var finite = true
        var j0 = latentRange.lowerBound
        while j0 < latentRange.upperBound {
            let width = min(encoderTileLatentCount, latentRange.upperBound - j0)
            scratch.update(repeating: 0, count: width * C)
            for t in 0..<width {
                let row = scratch + t * C
                let slots = Int(latentStarts[j0 + t])..<Int(latentStarts[j0 + t + 1])
                for slot in slots {
                    let b = Int(slotRows[slot]), e = Int(slotEntries[slot])
                    axpy(grads[e], input + b * C, row, C)
                    if let tied { axpy(tied.scale * tied.values[e], tied.residuals + b * C, row, C) }
                }
                // Rows of latents that fired nowhere stay zero; the others are checked in L1.
                if !slots.isEmpty { finite = finite && DenseKernels.allFinite(row, range: 0..<C) }
            }
            for c in 0..<C {
                let out = dWEnc + c * H + j0
                for t in 0..<width { out[t] = scratch[t * C + c] }
            }
            j0 += width
        }
        return finite
    }

    // MARK: - Layout

    /// out = wᵀ for latents in `latentRange`, in 16 × 16 tiles so both sides stay in cache.
    // out: (H,C), w: (C,H)
    static func transpose(out: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>, C: Int, H: Int,
                          latentRange: Range<Int>) {
        let tile = 16
        var j0 = latentRange.lowerBound
        while j0 < latentRange.upperBound {
            let j1 = min(j0 + tile, latentRange.upperBound)
            var c0 = 0
            while c0 < C {
                let c1 = min(c0 + tile, C)
                for j in j0..<j1 {
                    for c in c0..<c1 { out[j * C + c] = w[c * H + j] }
                }
                c0 = c1
            }
            j0 = j1
        }
    }

    // MARK: - Vector helpers (8 lanes; the baseline x86-64 target has no FMA, so a·b + c is two ops)

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// From these lengths on, `axpy` and `dot` call OpenBLAS's level-1 kernels: this module is
    /// compiled for the baseline x86-64 (SSE: 4 floats per op, no FMA), while OpenBLAS picks
    /// AVX2/FMA kernels at run time. Measured per call (2 shared cores, so rough): axpy at 256
    /// floats 17 vs 52 ns, at 768 58–63 vs 112–122 ns; dot at 256 about even, at 768 57 vs
    /// 71–113 ns. At 128 floats the tiny model's sparse step was slower with BLAS axpy (weight
    /// gradients 1.15 vs 1.01 ms): below these lengths the call costs more than it saves.
    /// Either way a row's result depends only on n and the machine's kernel, not on the
    /// calling thread.
    static let blasAxpyLength = 256
    static let blasDotLength = 512

    /// y += a · x
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if n >= blasAxpyLength { return BLAS.saxpy(y, x, count: n, alpha: a) }
        let av = SIMD8<Float>(repeating: a)
        var i = 0
        while i + 8 <= n {
            store(load(y + i) + av * load(x + i), y + i)
            i += 8
        }
        while i < n {
            y[i] += a * x[i]
            i += 1
        }
    }

    /// Σ a[i] · b[i], in 16 lanes then a fixed tree (or OpenBLAS's sdot from
    /// `blasDotLength` on), so the result does not depend on the caller.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        if n >= blasDotLength { return BLAS.sdot(a, b, count: n) }
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            acc0 += load(a + i) * load(b + i)
            acc1 += load(a + i + 8) * load(b + i + 8)
            i += 16
        }
        if i + 8 <= n {
            acc0 += load(a + i) * load(b + i)
            i += 8
        }
        var sum = (acc0 + acc1).sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// y −= x
    @inline(__always)
    static func subtract(_ x: UnsafePointer<Float>, from y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            store(load(y + i) - load(x + i), y + i)
            i += 8
        }
        while i < n {
            y[i] -= x[i]
            i += 1
        }
    }

    /// y *= a
    @inline(__always)
    static func scale(_ y: UnsafeMutablePointer<Float>, by a: Float, _ n: Int) {
        let av = SIMD8<Float>(repeating: a)
        var i = 0
        while i + 8 <= n {
            store(load(y + i) * av, y + i)
            i += 8
        }
        while i < n {
            y[i] *= a
            i += 1
        }
    }
}
