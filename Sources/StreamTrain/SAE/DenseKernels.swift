/// The element-wise passes of an SAE step around the sgemm calls, eight lanes at a time, each
/// over one part of its output (a range of rows or of latents/columns) so that `WorkerPool`
/// parts never write the same element. Every output element is computed with the same
/// operations in the same order as the plain loops in `DenseKernelsReference` (sums run over
/// rows in row order from 0; masked lanes add +0, which leaves a sum that is never −0 as it
/// is), so the results are bitwise those loops' whatever the split (tested).
enum DenseKernels {
    typealias F8 = SIMD8<Float>
    typealias D8 = SIMD8<Double>
    typealias I8 = SIMD8<Int32>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
    @inline(__always) static func store(_ v: F8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: F8.self)
    }

    /// Part `part` of 0..<count for `parts` parts, with every boundary but the last on a
    /// multiple of 8, so the lanes of a column range stay aligned to its start.
    static func laneRange(_ count: Int, part: Int, of parts: Int) -> Range<Int> {
        let groups = (count + 7) / 8
        let lower = min(count, 8 * (groups * part / parts)), upper = min(count, 8 * (groups * (part + 1) / parts))
        return lower..<upper
    }

    // MARK: - Encoder side

    /// ReLU in place over rows in `rows`, writing each row's count of f > 0. A NaN stays NaN
    /// (`< 0` selects what becomes 0), so it reaches the loss check.
    // acts: (B,H) pre-activations in, f out; rowOpenCounts: (B)
    static func relu(acts: UnsafeMutablePointer<Float>, rowOpenCounts: UnsafeMutablePointer<Int32>, H: Int,
                     rows: Range<Int>) {
        for b in rows {
            let row = acts + b * H
            var lanes = I8()
            var j = 0
            while j + 8 <= H {
                let v = load(row + j)
                let r = v.replacing(with: 0, where: v .< 0)
                store(r, row + j)
                lanes &+= I8().replacing(with: 1, where: r .> 0)
                j += 8
            }
            var open = lanes.wrappedSum()
            while j < H {
                if row[j] < 0 { row[j] = 0 } else if row[j] > 0 { open += 1 }
                j += 1
            }
            rowOpenCounts[b] = open
        }
    }

    // MARK: - Decoder side

    /// x̂ − x in place of x̂ for rows in `rows` (when `x` is given), and each row's Σ_c r² in
    /// Double of the result r.
    // residuals: (B,C) x̂ in, x̂ − x out; x: (B,C) or nil; rowSquares: (B)
    static func residuals(_ residuals: UnsafeMutablePointer<Float>, rowSquares: UnsafeMutablePointer<Double>,
                          subtracting x: UnsafePointer<Float>?, C: Int, rows: Range<Int>) {
        for b in rows {
            let res = residuals + b * C
            var lanes = D8()
            var c = 0
            while c + 8 <= C {
                var r = load(res + c)
                if let x { r -= load(x + b * C + c); store(r, res + c) }
                let d = D8(r)
                lanes += d * d
                c += 8
            }
            // The lanes are added in a fixed order, so the row's sum does not depend on the split.
            var sum = lanes.sum()
            while c < C {
                if let x { res[c] -= x[b * C + c] }
                sum += Double(res[c]) * Double(res[c])
                c += 1
            }
            rowSquares[b] = sum
        }
    }

    /// dL/dpre from dL/df for latents in `latents`, in one sweep over the batch: the L1 term
    /// and the activation's mask (gradient only where f > 0), and the per-latent sums the
    /// step needs from the same values: Σ_b f (Double), the rows with f > 0, and db_enc = Σ_b dL/dpre.
    // actGrads: (B,H) dL/df in, dL/dpre out; f: (B,H); l1Weights: (H) or nil for 1;
    // latentActSums, firedRowCounts, dbEnc: (H), overwritten in `latents`
    static func latentSweep(actGrads: UnsafeMutablePointer<Float>, latentActSums: UnsafeMutablePointer<Double>,
                            firedRowCounts: UnsafeMutablePointer<Int32>, dbEnc: UnsafeMutablePointer<Float>,
                            f: UnsafePointer<Float>, l1PerRow: Float, l1Weights: UnsafePointer<Float>?,
                            B: Int, H: Int, latents: Range<Int>) {
        guard !latents.isEmpty else { return }
        let lo = latents.lowerBound, hi = latents.upperBound
        (latentActSums + lo).update(repeating: 0, count: hi - lo)
        (firedRowCounts + lo).update(repeating: 0, count: hi - lo)
        (dbEnc + lo).update(repeating: 0, count: hi - lo)
        let vectorEnd = lo + (hi - lo) / 8 * 8
        let l1 = F8(repeating: l1PerRow)
        for b in 0..<B {
            let fRow = f + b * H, gRow = actGrads + b * H
            var j = lo
            while j < vectorEnd {
                let fv = load(fRow + j)
                let open = fv .> 0
                let w = l1Weights.map { l1 * load($0 + j) } ?? l1
                let d = (load(gRow + j) + w).replacing(with: 0, where: .!open)
                store(d, gRow + j)
                store(load(dbEnc + j) + d, dbEnc + j)
                let sums = UnsafeMutableRawPointer(latentActSums + j)
                sums.storeBytes(of: sums.loadUnaligned(as: D8.self) + D8(fv.replacing(with: 0, where: .!open)), as: D8.self)
                let fired = UnsafeMutableRawPointer(firedRowCounts + j)
                fired.storeBytes(of: fired.loadUnaligned(as: I8.self) &+ I8().replacing(with: 1, where: open), as: I8.self)
                j += 8
            }
            while j < hi {
                let value = fRow[j]
                if value > 0 {
                    gRow[j] += l1Weights.map { l1PerRow * $0[j] } ?? l1PerRow
                    latentActSums[j] += Double(value)
                    firedRowCounts[j] += 1
                } else {
                    gRow[j] = 0
                }
                dbEnc[j] += gRow[j]
                j += 1
            }
        }
    }

    /// out[c] = scale · Σ_b m[b, c] for columns in `columns` (rows summed in order, 32 columns
    /// at a time so the partial sums stay in registers).
    // out: (N), m: (B,N)
    static func columnSums(out: UnsafeMutablePointer<Float>, _ m: UnsafePointer<Float>, scale: Float,
                           B: Int, N: Int, columns: Range<Int>) {
        var c = columns.lowerBound
        while c + 32 <= columns.upperBound {
            var a0 = F8(), a1 = F8(), a2 = F8(), a3 = F8()
            for b in 0..<B {
                let row = m + b * N + c
                a0 += load(row); a1 += load(row + 8); a2 += load(row + 16); a3 += load(row + 24)
            }
            store(scale * a0, out + c); store(scale * a1, out + c + 8)
            store(scale * a2, out + c + 16); store(scale * a3, out + c + 24)
            c += 32
        }
        while c + 8 <= columns.upperBound {
            var a = F8()
            for b in 0..<B { a += load(m + b * N + c) }
            store(scale * a, out + c)
            c += 8
        }
        while c < columns.upperBound {
            var sum: Float = 0
            for b in 0..<B { sum += m[b * N + c] }
            out[c] = scale * sum
            c += 1
        }
    }

    /// The standard SAE's decoder-norm L1 term of dW_dec for latents in `latents`:
    /// ∂(λ/B · Σ_b f_bj ‖W_dec[j]‖)/∂W_dec[j] = λ/B · Σ_b f_bj · W_dec[j] / ‖W_dec[j]‖.
    // dWDec: (H,C) += ; wDec: (H,C); latentActSums, norms: (H)
    static func decoderNormL1Gradient(dWDec: UnsafeMutablePointer<Float>, wDec: UnsafePointer<Float>,
                                      latentActSums: UnsafePointer<Double>, norms: UnsafePointer<Float>,
                                      l1PerRow: Float, C: Int, latents: Range<Int>) {
        for j in latents where latentActSums[j] > 0 && norms[j] > 0 {
            let coefficient = l1PerRow * Float(latentActSums[j]) / norms[j]
            let out = dWDec + j * C, w = wDec + j * C
            let k = F8(repeating: coefficient)
            var c = 0
            while c + 8 <= C {
                store(load(out + c) + k * load(w + c), out + c)
                c += 8
            }
            while c < C {
                out[c] += coefficient * w[c]
                c += 1
            }
        }
    }

    // MARK: - Batch input

    /// Whether x[range] is all finite (0·x is 0 for finite x, NaN otherwise).
    static func allFinite(_ x: UnsafePointer<Float>, range: Range<Int>) -> Bool {
        var acc = F8()
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            acc += load(x + i) * 0
            i += 8
        }
        var sum = acc.sum()
        while i < range.upperBound {
            sum += x[i] * 0
            i += 1
        }
        return sum == 0
    }

    /// x[range] *= scale.
    static func scale(_ x: UnsafeMutablePointer<Float>, by scale: Float, range: Range<Int>) {
        let k = F8(repeating: scale)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            store(load(x + i) * k, x + i)
            i += 8
        }
        while i < range.upperBound {
            x[i] *= scale
            i += 1
        }
    }
}
