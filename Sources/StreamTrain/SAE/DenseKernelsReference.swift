/// Plain one-element-at-a-time loops for each `DenseKernels` pass, over the whole batch, in
/// Float as the kernels compute. The kernels are tested bitwise equal to these for every
/// split over threads (the Double maths of a whole step is `SAEReference`).
enum DenseKernelsReference {
    /// ReLU in place; returns each row's count of f > 0.
    // acts: (B,H)
    static func relu(acts: inout [Float], B: Int, H: Int) -> [Int32] {
        var counts = [Int32](repeating: 0, count: B)
        for b in 0..<B {
            for j in 0..<H {
                let i = b * H + j
                if acts[i] < 0 { acts[i] = 0 } else if acts[i] > 0 { counts[b] += 1 }
            }
        }
        return counts
    }

    /// x̂ − x in place, and each row's Σ (x̂ − x)² (Double, summed in column order).
    // residuals, x: (B,C)
    static func residuals(_ residuals: inout [Float], x: [Float], B: Int, C: Int) -> [Double] {
        var squares = [Double](repeating: 0, count: B)
        for b in 0..<B {
            for c in 0..<C {
                residuals[b * C + c] -= x[b * C + c]
                squares[b] += Double(residuals[b * C + c]) * Double(residuals[b * C + c])
            }
        }
        return squares
    }

    /// dL/df → dL/dpre in place; returns (Σ_b f, rows with f > 0, db_enc) per latent.
    // actGrads, f: (B,H), l1Weights: (H) or nil
    static func latentSweep(actGrads: inout [Float], f: [Float], l1PerRow: Float, l1Weights: [Float]?,
                            B: Int, H: Int) -> (sums: [Double], fired: [Int32], dbEnc: [Float]) {
        var sums = [Double](repeating: 0, count: H), fired = [Int32](repeating: 0, count: H)
        var dbEnc = [Float](repeating: 0, count: H)
        for b in 0..<B {
            for j in 0..<H {
                let i = b * H + j
                if f[i] > 0 {
                    actGrads[i] += l1Weights.map { l1PerRow * $0[j] } ?? l1PerRow
                    sums[j] += Double(f[i])
                    fired[j] += 1
                } else {
                    actGrads[i] = 0
                }
            }
        }
        for b in 0..<B {
            for j in 0..<H { dbEnc[j] += actGrads[b * H + j] }
        }
        return (sums, fired, dbEnc)
    }

    /// scale · Σ_b m[b, c] per column.
    // m: (B,N)
    static func columnSums(_ m: [Float], scale: Float, B: Int, N: Int) -> [Float] {
        (0..<N).map { c in
            var sum: Float = 0
            for b in 0..<B { sum += m[b * N + c] }
            return scale * sum
        }
    }

    /// dW_dec += the decoder-norm L1 term (standard SAE).
    // dWDec, wDec: (H,C)
    static func decoderNormL1Gradient(dWDec: inout [Float], wDec: [Float], latentActSums: [Double], norms: [Float],
                                      l1PerRow: Float, C: Int, H: Int) {
        for j in 0..<H where latentActSums[j] > 0 && norms[j] > 0 {
            let coefficient = l1PerRow * Float(latentActSums[j]) / norms[j]
            for c in 0..<C { dWDec[j * C + c] += coefficient * wDec[j * C + c] }
        }
    }
}
