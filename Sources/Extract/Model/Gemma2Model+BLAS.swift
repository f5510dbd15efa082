import BLASKernels
import Foundation

/// The Gemma 2 forward on OpenBLAS: every projection and the MLP as one sgemm over all rows of
/// the batch (`LlamaModel.gemmLinear`), attention as two sgemms per (sequence, head) with the
/// soft-cap and the sliding window applied in `Kernels.windowedCausalSoftmax`. Sequences are
/// packed back to back, each with its own positions 0..<T, so no padded position is computed.
///
/// The plain loops in Gemma2Model.swift stay the reference: `Gemma2FastPathTests` hold this path
/// to them on every hook, and `Gemma2ParityTests` hold both to transformers.
extension Gemma2Model {
    /// Runs blocks 0...lastLayer over packed sequences and returns the residual stream (ΣT, C);
    /// `visit` sees every hook's (ΣT, width) values and may overwrite them in place (same length).
    func fastForward(tokens: [UInt32], sequenceLengths: [Int], lastLayer: Int,
                     visit: (HookPoint, inout [Float]) -> Void) -> [Float] {
        let C = config.hiddenWidth, H = config.mlpWidth, N = tokens.count
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        var x = [Float](repeating: 0, count: N * C)
        for (row, token) in tokens.enumerated() {
            let source = Int(token) * C
            for c in 0..<C { x[row * C + c] = weights.embedding[source + c] * weights.embeddingScale }
        }
        for l in 0...lastLayer {
            let layer = weights.layers[l]
            visit(HookPoint(layer: l, site: .residPre), &x)
            let h = rmsNorm(x, layer.inputNorm)
            var q = LlamaModel.gemmLinear(h, layer.query, outWidth: heads * D, inWidth: C)
            var k = LlamaModel.gemmLinear(h, layer.key, outWidth: kvHeads * D, inWidth: C)
            let v = LlamaModel.gemmLinear(h, layer.value, outWidth: kvHeads * D, inWidth: C)
            rotatePacked(&q, headCount: heads, sequenceLengths: sequenceLengths)
            rotatePacked(&k, headCount: kvHeads, sequenceLengths: sequenceLengths)
            let mixed = gemmAttention(q, k, v, sequenceLengths: sequenceLengths, window: config.slidingWindows[l])
            var attentionOut = rmsNorm(LlamaModel.gemmLinear(mixed, layer.output, outWidth: C, inWidth: heads * D), layer.postAttentionNorm)
            visit(HookPoint(layer: l, site: .attnOut), &attentionOut)
            for i in 0..<(N * C) { x[i] += attentionOut[i] }
            visit(HookPoint(layer: l, site: .residMid), &x)
            let h2 = rmsNorm(x, layer.preFeedforwardNorm)
            var gate = LlamaModel.gemmLinear(h2, layer.gate, outWidth: H, inWidth: C)
            var hidden = LlamaModel.gemmLinear(h2, layer.up, outWidth: H, inWidth: C)
            gate.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: N * H, kind: .tanh) }
            for i in 0..<(N * H) { hidden[i] *= gate[i] }
            visit(HookPoint(layer: l, site: .mlpPost), &hidden)
            var mlpOut = rmsNorm(LlamaModel.gemmLinear(hidden, layer.down, outWidth: C, inWidth: H), layer.postFeedforwardNorm)
            visit(HookPoint(layer: l, site: .mlpOut), &mlpOut)
            for i in 0..<(N * C) { x[i] += mlpOut[i] }
            visit(HookPoint(layer: l, site: .residPost), &x)
        }
        return x
    }

    /// Rotary embedding (rotate_half layout) with positions restarting at 0 in every packed sequence.
    // values: (ΣT, headCount, D), in place
    private func rotatePacked(_ values: inout [Float], headCount: Int, sequenceLengths: [Int]) {
        let D = config.headWidth, half = D / 2
        var row = 0
        for T in sequenceLengths {
            for t in 0..<T {
                defer { row += 1 }
                for head in 0..<headCount {
                    let base = (row * headCount + head) * D
                    for i in 0..<half {
                        let c = cosines[t * half + i], s = sines[t * half + i]
                        let first = values[base + i], second = values[base + i + half]
                        values[base + i] = first * c - second * s
                        values[base + i + half] = second * c + first * s
                    }
                }
            }
        }
    }

    /// Soft-capped causal attention per packed sequence; query head h reads kv head h / (heads /
    /// kvHeads). scores = q kᵀ · scale and out = softmax(cap(scores)) · v are sgemms on the
    /// heads' strided rows in place.
    // out: (ΣT, heads·D), q: (ΣT, heads·D), k, v: (ΣT, kvHeads·D), scores: (maxT, maxT) scratch
    private func gemmAttention(_ q: [Float], _ k: [Float], _ v: [Float], sequenceLengths: [Int], window: Int?) -> [Float] {
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        let group = heads / kvHeads, scale = attentionScale, cap = config.attentionSoftCap
        let qStride = heads * D, kvStride = kvHeads * D
        let longest = sequenceLengths.max() ?? 0
        var out = [Float](repeating: 0, count: q.count)
        var scores = [Float](repeating: 0, count: longest * longest)
        q.withUnsafeBufferPointer { q in
            k.withUnsafeBufferPointer { k in
                v.withUnsafeBufferPointer { v in
                    out.withUnsafeMutableBufferPointer { out in
                        scores.withUnsafeMutableBufferPointer { scores in
                            var firstRow = 0
                            for T in sequenceLengths {
                                defer { firstRow += T }
                                for head in 0..<heads {
                                    let kvHead = head / group
                                    let qHead = q.baseAddress! + firstRow * qStride + head * D
                                    let kHead = k.baseAddress! + firstRow * kvStride + kvHead * D
                                    let vHead = v.baseAddress! + firstRow * kvStride + kvHead * D
                                    BLAS.sgemm(scores.baseAddress!, ldc: T, qHead, lda: qStride, kHead, ldb: kvStride,
                                               transposeB: true, m: T, n: T, k: D, alpha: scale)
                                    Kernels.windowedCausalSoftmax(scores.baseAddress!, T: T, window: window, softCap: cap)
                                    BLAS.sgemm(out.baseAddress! + firstRow * qStride + head * D, ldc: qStride,
                                               scores.baseAddress!, lda: T, vHead, ldb: kvStride, m: T, n: D, k: T)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
