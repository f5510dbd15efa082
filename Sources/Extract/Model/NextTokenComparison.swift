import BLASKernels
import Foundation

/// Next-token cross-entropy and KL divergence of several runs of the same tokens, each with
/// the hook's activation transformed differently (clean, SAE spliced in, ablations), summed
/// over the same predicting positions.
public struct NextTokenComparison: Sendable, Equatable {
    /// Per run: Σ over counted positions of −log p(next token) (nats).
    public var crossEntropySums: [Double]
    /// Per run: Σ over counted positions of KL(p_run0 ‖ p_run) (nats; 0 for run 0).
    public var klSums: [Double]
    /// Positions counted.
    public var positionCount: Int

    /// Rows of logits formed at once: bounds memory at 2 · chunkRows · V floats whatever B and T are.
    static let chunkRows = 64

    /// Compares runs from their final-normed hidden states (one (B·T, C) array per run, run 0 the
    /// KL reference) through the (V, C) `unembedding`: logits `chunkRows` rows at a time, then
    /// log-softmax, cross-entropy against the next token and KL to run 0 at every position
    /// t < T−1 where `counted[b * (T−1) + t]`. Shared by every family, so GPT-2 and Llama count
    /// positions and sum in Double the same way. `finalSoftCap` (Gemma 2's `final_logit_softcapping`)
    /// turns each logit z into tanh(z/cap)·cap before the log-softmax, as the model's own logits.
    // hiddenStates: runs × (B·T, C), unembedding: (V, C), tokens: (B, T), counted: (B, T−1)
    static func compare(hiddenStates: [[Float]], unembedding: UnsafePointer<Float>, V: Int, C: Int,
                        tokens: [UInt32], B: Int, T: Int, counted: [Bool], finalSoftCap: Float? = nil) -> NextTokenComparison {
        var result = NextTokenComparison(crossEntropySums: [Double](repeating: 0, count: hiddenStates.count),
                                         klSums: [Double](repeating: 0, count: hiddenStates.count), positionCount: 0)
        var reference = [Float](repeating: 0, count: chunkRows * V)
        var other = [Float](repeating: 0, count: chunkRows * V)
        for b in 0..<B {
            var t0 = 0
            while t0 < T - 1 {
                let rows = min(chunkRows, T - 1 - t0)
                let firstRow = b * T + t0
                for (run, hidden) in hiddenStates.enumerated() {
                    // logits = norm(x) · W_Uᵀ, then log-softmax in place.
                    func logProbabilities(_ out: UnsafeMutablePointer<Float>) {
                        hidden.withUnsafeBufferPointer { h in
                            BLAS.sgemm(out, ldc: V, h.baseAddress! + firstRow * C, lda: C, unembedding, ldb: C,
                                       transposeB: true, m: rows, n: V, k: C)
                        }
                        if let cap = finalSoftCap {
                            for i in 0..<(rows * V) { out[i] = tanh(out[i] / cap) * cap }
                        }
                        logSoftmaxRows(out, rowCount: rows, V: V)
                    }
                    if run == 0 {
                        reference.withUnsafeMutableBufferPointer { logProbabilities($0.baseAddress!) }
                    } else {
                        other.withUnsafeMutableBufferPointer { logProbabilities($0.baseAddress!) }
                    }
                    for r in 0..<rows where counted[b * (T - 1) + t0 + r] {
                        let next = Int(tokens[firstRow + r + 1])
                        result.crossEntropySums[run] -= Double(run == 0 ? reference[r * V + next] : other[r * V + next])
                        if run > 0 { result.klSums[run] += kl(reference, other, row: r, V: V) }
                    }
                }
                for r in 0..<rows where counted[b * (T - 1) + t0 + r] { result.positionCount += 1 }
                t0 += rows
            }
        }
        return result
    }

    /// Each of `rowCount` rows of V logits replaced by its log-softmax (max-shifted, sums in Double).
    static func logSoftmaxRows(_ rows: UnsafeMutablePointer<Float>, rowCount: Int, V: Int) {
        for n in 0..<rowCount {
            let row = rows + n * V
            var maxValue = -Float.infinity
            for v in 0..<V where row[v] > maxValue { maxValue = row[v] }
            var sumExp: Double = 0
            for v in 0..<V { sumExp += Double(exp(row[v] - maxValue)) }
            let logZ = Float(log(sumExp)) + maxValue
            for v in 0..<V { row[v] -= logZ }
        }
    }

    /// KL(p ‖ q) of row `row` of two log-probability tables: Σ p (log p − log q).
    static func kl(_ logP: [Float], _ logQ: [Float], row: Int, V: Int) -> Double {
        var total: Double = 0
        let base = row * V
        for v in 0..<V {
            let lp = Double(logP[base + v])
            total += exp(lp) * (lp - Double(logQ[base + v]))
        }
        return total
    }
}
