import Foundation
import BLASKernels

extension Kernels {
    /// Causal multi-head self-attention on the fused q|k|v projection, one (T,T) score
    /// matrix per (sequence, head) at that sequence's own length, both products through sgemm.
    /// Sequences are packed back to back, so a short one costs its own T², not the longest's.
    /// `scale` is 1/sqrt(hs) (further divided by l+1 when the config asks).
    // out: (ΣT,C), qkv: (ΣT,3C), scores: (maxT,maxT) scratch
    static func attention(_ out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
                          scores: UnsafeMutablePointer<Float>, sequenceLengths: [Int], C: Int, NH: Int, scale: Float) {
        let hs = C / NH
        var firstRow = 0
        for T in sequenceLengths {
            defer { firstRow += T }
            for h in 0..<NH {
                let q = qkv + firstRow * 3 * C + h * hs
                let k = q + C
                let v = q + 2 * C
                // scores = scale · q kᵀ; the strided row pointers read each head in place.
                BLAS.sgemm(scores, ldc: T, q, lda: 3 * C, k, ldb: 3 * C, transposeB: true,
                           m: T, n: T, k: hs, alpha: scale)
                causalSoftmax(scores, T: T)
                BLAS.sgemm(out + firstRow * C + h * hs, ldc: C, scores, lda: T, v, ldb: 3 * C,
                           m: T, n: hs, k: T)
            }
        }
    }

    /// Row t keeps columns 0...t; the rest become exact zeros so the following (T,T)·(T,hs)
    /// product needs no mask. Subtracting the row max keeps exp from overflowing.
    // scores: (T,T), in place
    static func causalSoftmax(_ scores: UnsafeMutablePointer<Float>, T: Int) {
        for t in 0..<T {
            let row = scores + t * T
            var maxValue = -Float.infinity
            for j in 0...t where row[j] > maxValue { maxValue = row[j] }
            var total: Float = 0
            for j in 0...t {
                let e = exp(row[j] - maxValue)
                row[j] = e
                total += e
            }
            let inverse = 1 / total
            for j in 0...t { row[j] *= inverse }
            if t + 1 < T { (row + t + 1).update(repeating: 0, count: T - t - 1) }
        }
    }
}
