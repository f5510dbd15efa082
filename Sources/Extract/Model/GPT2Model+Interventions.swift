import Foundation
import BLASKernels

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
}

extension GPT2Model {
    /// Runs `tokens` once per entry of `transforms` (nil: untouched, the clean run; the first
    /// entry is the reference of the KL divergences) with the `hook` activation replaced by
    /// `transform(activation)`, and compares the next-token distributions at the positions
    /// t < T−1 of each sequence where `counted[b * (T−1) + t]` holds. Only (B·T, C) hidden
    /// states are kept per run; logits are formed `lossChunkRows` rows at a time.
    public func compareNextTokens(tokens: [UInt32], batch B: Int, sequenceLength T: Int, hook: HookPoint,
                                  transforms: [((inout [Float]) -> Void)?], counted: [Bool]) throws -> NextTokenComparison {
        try checkInput(tokens: tokens, B: B, T: T)
        guard T >= 2 else {
            throw GPT2ModelError.invalidInput(reason: "sequence length \(T): the next-token loss needs at least 2 tokens per sequence")
        }
        guard counted.count == B * (T - 1) else {
            throw GPT2ModelError.invalidInput(reason: "\(counted.count) position flags for \(B) × \(T - 1) predicting positions")
        }
        try hook.validate(for: config)
        let N = B * T, C = config.embeddingWidth, V = config.vocabularySize
        var hiddenStates: [[Float]] = []
        for transform in transforms {
            var spliceError: GPT2ModelError?
            forward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: config.layerCount - 1, hooks: transform == nil ? [] : [hook]) { point, buffer in
                guard let transform else { return }
                var activation = Array(buffer)
                transform(&activation)
                guard activation.count == buffer.count else {
                    spliceError = .invalidInput(reason: "the transform for \(point) changed the activation from \(buffer.count) to \(activation.count) floats")
                    return
                }
                _ = activation.withUnsafeBufferPointer { buffer.update(fromContentsOf: $0) }
            }
            if let spliceError { throw spliceError }
            hiddenStates.append(Array(UnsafeBufferPointer(start: finalNorm(N: N), count: N * C)))
        }
        var result = NextTokenComparison(crossEntropySums: [Double](repeating: 0, count: transforms.count),
                                         klSums: [Double](repeating: 0, count: transforms.count), positionCount: 0)
        let chunkRows = Self.lossChunkRows
        var reference = [Float](repeating: 0, count: chunkRows * V)
        var other = [Float](repeating: 0, count: chunkRows * V)
        for b in 0..<B {
            var t0 = 0
            while t0 < T - 1 {
                let rows = min(chunkRows, T - 1 - t0)
                let firstRow = b * T + t0
                for (run, hidden) in hiddenStates.enumerated() {
                    // logits = ln_f(x) · Wᵀ, then log-softmax in place.
                    func logProbabilities(_ out: UnsafeMutablePointer<Float>) {
                        hidden.withUnsafeBufferPointer { h in
                            BLAS.sgemm(out, ldc: V, h.baseAddress! + firstRow * C, lda: C, parameters.unembedding, ldb: C,
                                       transposeB: true, m: rows, n: V, k: C)
                        }
                        Self.logSoftmaxRows(out, rowCount: rows, V: V)
                    }
                    if run == 0 {
                        reference.withUnsafeMutableBufferPointer { logProbabilities($0.baseAddress!) }
                    } else {
                        other.withUnsafeMutableBufferPointer { logProbabilities($0.baseAddress!) }
                    }
                    for r in 0..<rows where counted[b * (T - 1) + t0 + r] {
                        let next = Int(tokens[firstRow + r + 1])
                        result.crossEntropySums[run] -= Double(run == 0 ? reference[r * V + next] : other[r * V + next])
                        if run > 0 { result.klSums[run] += Self.kl(reference, other, row: r, V: V) }
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
