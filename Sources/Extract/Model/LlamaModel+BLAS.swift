import BLASKernels
import Foundation

/// The Llama forward on OpenBLAS: every projection and the MLP as one sgemm over all rows of the
/// batch, attention as two sgemms per (sequence, head). Sequences are packed back to back, each
/// at its own length with its own positions 0..<T, so no padded position is computed (causal
/// attention makes each row the same as in a padded batch).
///
/// The plain loops in LlamaModel.swift stay the reference: `LlamaFastPathTests` hold this path
/// to them on every hook, and the parity tests hold it to transformers.
extension LlamaModel {
    /// Runs blocks 0...lastLayer over packed sequences and returns the residual stream (ΣT, C);
    /// `visit` sees every hook's (ΣT, width) values and may overwrite them in place (same length).
    func fastForward(tokens: [UInt32], sequenceLengths: [Int], lastLayer: Int,
                     visit: (HookPoint, inout [Float]) -> Void) -> [Float] {
        let C = config.hiddenWidth, H = config.mlpWidth, N = tokens.count
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        var x = [Float](repeating: 0, count: N * C)
        for (row, token) in tokens.enumerated() {
            let source = Int(token) * C
            for c in 0..<C { x[row * C + c] = weights.embedding[source + c] }
        }
        for l in 0...lastLayer {
            let layer = weights.layers[l]
            visit(HookPoint(layer: l, site: .residPre), &x)
            var h = rmsNorm(x, layer.inputNorm)
            visit(HookPoint(layer: l, site: .ln1Normalized), &h)
            var q = Self.gemmLinear(h, layer.query, outWidth: heads * D, inWidth: C, bias: layer.queryBias)
            var k = Self.gemmLinear(h, layer.key, outWidth: kvHeads * D, inWidth: C, bias: layer.keyBias)
            let v = Self.gemmLinear(h, layer.value, outWidth: kvHeads * D, inWidth: C, bias: layer.valueBias)
            rotatePacked(&q, headCount: heads, sequenceLengths: sequenceLengths)
            rotatePacked(&k, headCount: kvHeads, sequenceLengths: sequenceLengths)
            let mixed = gemmAttention(q, k, v, sequenceLengths: sequenceLengths, window: config.slidingWindows[l])
            var attentionOut = Self.gemmLinear(mixed, layer.output, outWidth: C, inWidth: heads * D)
            visit(HookPoint(layer: l, site: .attnOut), &attentionOut)
            for i in 0..<(N * C) { x[i] += attentionOut[i] }
            visit(HookPoint(layer: l, site: .residMid), &x)
            var h2 = rmsNorm(x, layer.postAttentionNorm)
            visit(HookPoint(layer: l, site: .ln2Normalized), &h2)
            let gate = Self.gemmLinear(h2, layer.gate, outWidth: H, inWidth: C)
            var hidden = Self.gemmLinear(h2, layer.up, outWidth: H, inWidth: C)
            for i in 0..<(N * H) { hidden[i] *= gate[i] / (1 + exp(-gate[i])) }
            visit(HookPoint(layer: l, site: .mlpPost), &hidden)
            var mlpOut = Self.gemmLinear(hidden, layer.down, outWidth: C, inWidth: H)
            visit(HookPoint(layer: l, site: .mlpOut), &mlpOut)
            for i in 0..<(N * C) { x[i] += mlpOut[i] }
            visit(HookPoint(layer: l, site: .residPost), &x)
        }
        return x
    }

    /// x (rows, inWidth) · Wᵀ (W: outWidth × inWidth, transformers' Linear layout) + bias, one sgemm.
    static func gemmLinear(_ x: [Float], _ w: [Float], outWidth: Int, inWidth: Int, bias: [Float]? = nil) -> [Float] {
        let rows = x.count / inWidth
        var out = [Float](repeating: 0, count: rows * outWidth)
        if let bias {
            for row in 0..<rows { for o in 0..<outWidth { out[row * outWidth + o] = bias[o] } }
        }
        out.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { x in
                w.withUnsafeBufferPointer { w in
                    // Row-stable: a token's activations do not depend on which windows share its batch.
                    RowStableProducts.sgemm(out.baseAddress!, x.baseAddress!, w.baseAddress!, transposeB: true,
                                            m: rows, n: outWidth, k: inWidth, beta: bias == nil ? 0 : 1)
                }
            }
        }
        return out
    }

    /// Rotary embedding (rotate_half layout) with positions restarting at 0 in every packed sequence.
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

    /// Causal softmax attention per packed sequence; query head h reads kv head h / (heads / kvHeads).
    /// scores = q kᵀ / √D and out = softmax(scores) · v are sgemms on the heads' strided rows in place;
    /// a sliding `window` zeroes the older keys' weights in the softmax (the full T×T product is
    /// still computed: windows in use are far longer than the contexts ingest runs).
    private func gemmAttention(_ q: [Float], _ k: [Float], _ v: [Float], sequenceLengths: [Int], window: Int?) -> [Float] {
        let heads = config.headCount, kvHeads = config.keyValueHeadCount, D = config.headWidth
        let group = heads / kvHeads
        let scale = 1 / Float(D).squareRoot()
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
                                    Kernels.windowedCausalSoftmax(scores.baseAddress!, T: T, window: window, softCap: nil)
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
