/// The plain reference for `SparseKernels`: each product written as the dense formula over
/// every (row, latent) pair of a dense f, in Double, with no index structures. Tests feed the
/// kernels the CSR of the same f and hold them to these.
enum SparseKernelsReference {
    /// x̂ = f · D + b_dec (− x when given).
    // out: (B,C), f: (B,H), decoder: (H,C), bDec: (C), x: (B,C)
    static func decode(f: [Float], decoder: [Float], bDec: [Float], x: [Float]?, B: Int, C: Int, H: Int) -> [Double] {
        var out = [Double](repeating: 0, count: B * C)
        for b in 0..<B {
            for c in 0..<C {
                var sum = Double(bDec[c])
                for j in 0..<H { sum += Double(f[b * H + j]) * Double(decoder[j * C + c]) }
                out[b * C + c] = sum - (x.map { Double($0[b * C + c]) } ?? 0)
            }
        }
        return out
    }

    /// dL/dpre = (s · (x̂ − x) · Dᵀ + λ/B · w_j) where f > 0, else 0.
    // out: (B,H), residuals: (B,C), decoder: (H,C), f: (B,H), l1Weights: (H)
    static func latentGradients(residuals: [Float], decoder: [Float], f: [Float], scale s: Float,
                                l1PerRow: Float, l1Weights: [Float]?, B: Int, C: Int, H: Int) -> [Double] {
        var out = [Double](repeating: 0, count: B * H)
        for b in 0..<B {
            for j in 0..<H where f[b * H + j] > 0 {
                var sum = 0.0
                for c in 0..<C { sum += Double(residuals[b * C + c]) * Double(decoder[j * C + c]) }
                out[b * H + j] = Double(s) * sum + Double(l1PerRow) * Double(l1Weights?[j] ?? 1)
            }
        }
        return out
    }

    /// dD = s · fᵀ · (x̂ − x), plus λ/B · (Σ_b f[b,j]) · D[j] / ‖D[j]‖ when `l1PerRow` is given.
    // out: (H,C), f: (B,H), residuals: (B,C), decoder: (H,C)
    static func decoderWeightGradients(f: [Float], residuals: [Float], scale s: Float, l1PerRow: Float?,
                                       decoder: [Float], B: Int, C: Int, H: Int) -> [Double] {
        var out = [Double](repeating: 0, count: H * C)
        for j in 0..<H {
            var fSum = 0.0, norm = 0.0
            for b in 0..<B { fSum += Double(f[b * H + j]) }
            for c in 0..<C { norm += Double(decoder[j * C + c]) * Double(decoder[j * C + c]) }
            norm = norm.squareRoot()
            for c in 0..<C {
                var sum = 0.0
                for b in 0..<B { sum += Double(f[b * H + j]) * Double(residuals[b * C + c]) }
                out[j * C + c] = Double(s) * sum
                if let l1PerRow, fSum > 0, norm > 0 {
                    out[j * C + c] += Double(l1PerRow) * fSum * Double(decoder[j * C + c]) / norm
                }
            }
        }
        return out
    }

    /// dW_enc = inpᵀ · dpre, plus s · (x̂ − x)ᵀ · f when `tied` is given.
    // out: (C,H), input: (B,C), dPre: (B,H), residuals: (B,C), f: (B,H)
    static func encoderWeightGradients(input: [Float], dPre: [Float],
                                       tied: (residuals: [Float], f: [Float], scale: Float)?,
                                       B: Int, C: Int, H: Int) -> [Double] {
        var out = [Double](repeating: 0, count: C * H)
        for c in 0..<C {
            for j in 0..<H {
                var sum = 0.0
                for b in 0..<B {
                    sum += Double(input[b * C + c]) * Double(dPre[b * H + j])
                    if let tied {
                        sum += Double(tied.scale) * Double(tied.residuals[b * C + c]) * Double(tied.f[b * H + j])
                    }
                }
                out[c * H + j] = sum
            }
        }
        return out
    }
}
