import BLASKernels
import Foundation

/// The GPT-NeoX forward on OpenBLAS: every projection and the MLP as one sgemm over all rows of
/// the batch, attention as two sgemms per (sequence, head) reading the head-interleaved fused
/// projection in place. Sequences are packed back to back, each at its own length with its own
/// positions 0..<T, so no padded position is computed.
///
/// The plain loops in NeoXModel+Reference.swift stay the reference: `NeoXFastPathTests` hold this
/// path to them on every hook, and the parity tests hold it to transformers.
extension NeoXModel {
    /// Runs blocks 0...lastLayer over packed sequences and returns the residual stream (ΣT, C);
    /// `visit` sees every hook's (ΣT, width) values and may overwrite them in place (same length).
    func fastForward(tokens: [UInt32], sequenceLengths: [Int], lastLayer: Int,
                     visit: (HookPoint, inout [Float]) -> Void) -> [Float] {
        let C = config.hiddenWidth, H = config.mlpWidth, N = tokens.count
        var x = [Float](repeating: 0, count: N * C)
        for (row, token) in tokens.enumerated() {
            let source = Int(token) * C
            for c in 0..<C { x[row * C + c] = weights.embedding[source + c] }
        }
        for l in 0...lastLayer {
            let layer = weights.layers[l]
            visit(HookPoint(layer: l, site: .residPre), &x)
            var h = fastLayerNorm(x, layer.inputNormWeight, layer.inputNormBias)
            visit(HookPoint(layer: l, site: .ln1Normalized), &h)
            var qkv = LlamaModel.gemmLinear(h, layer.queryKeyValue, outWidth: 3 * C, inWidth: C, bias: layer.queryKeyValueBias)
            rotate(&qkv, sequenceLengths: sequenceLengths)
            let mixed = gemmAttention(qkv, sequenceLengths: sequenceLengths)
            var attentionOut = LlamaModel.gemmLinear(mixed, layer.dense, outWidth: C, inWidth: C, bias: layer.denseBias)
            visit(HookPoint(layer: l, site: .attnOut), &attentionOut)
            if !config.usesParallelResidual {
                for i in 0..<(N * C) { x[i] += attentionOut[i] }
                visit(HookPoint(layer: l, site: .residMid), &x)
            }
            var h2 = fastLayerNorm(x, layer.postAttentionNormWeight, layer.postAttentionNormBias)
            visit(HookPoint(layer: l, site: .ln2Normalized), &h2)
            var hidden = LlamaModel.gemmLinear(h2, layer.up, outWidth: H, inWidth: C, bias: layer.upBias)
            hidden.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: N * H, kind: config.activation) }
            visit(HookPoint(layer: l, site: .mlpPost), &hidden)
            var mlpOut = LlamaModel.gemmLinear(hidden, layer.down, outWidth: C, inWidth: H, bias: layer.downBias)
            visit(HookPoint(layer: l, site: .mlpOut), &mlpOut)
            if config.usesParallelResidual {
                for i in 0..<(N * C) { x[i] = (mlpOut[i] + attentionOut[i]) + x[i] }
            } else {
                for i in 0..<(N * C) { x[i] += mlpOut[i] }
            }
            visit(HookPoint(layer: l, site: .residPost), &x)
        }
        return x
    }

    /// LayerNorm of every row through the vectorised kernel GPT-2 uses.
    // x: (N,C), weight: (C), bias: (C) → (N,C)
    func fastLayerNorm(_ x: [Float], _ weight: [Float], _ bias: [Float]) -> [Float] {
        let C = weight.count
        var out = [Float](repeating: 0, count: x.count)
        out.withUnsafeMutableBufferPointer { out in
            x.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        Kernels.layerNorm(out.baseAddress!, x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!,
                                          N: x.count / C, C: C, epsilon: config.layerNormEpsilon)
                    }
                }
            }
        }
        return out
    }

    /// Causal softmax attention per packed sequence and head; scores = q kᵀ / √D and
    /// out = softmax(scores) · v are sgemms on the head's strided rows of the fused projection.
    // qkv: (ΣT, NH, 3, D) → out: (ΣT, NH·D)
    private func gemmAttention(_ qkv: [Float], sequenceLengths: [Int]) -> [Float] {
        let C = config.hiddenWidth, D = config.headWidth
        let scale = 1 / Float(D).squareRoot()
        let longest = sequenceLengths.max() ?? 0
        var out = [Float](repeating: 0, count: qkv.count / 3)
        var scores = [Float](repeating: 0, count: longest * longest)
        qkv.withUnsafeBufferPointer { qkv in
            out.withUnsafeMutableBufferPointer { out in
                scores.withUnsafeMutableBufferPointer { scores in
                    var firstRow = 0
                    for T in sequenceLengths {
                        defer { firstRow += T }
                        for head in 0..<config.headCount {
                            let q = qkv.baseAddress! + firstRow * 3 * C + head * 3 * D
                            BLAS.sgemm(scores.baseAddress!, ldc: T, q, lda: 3 * C, q + D, ldb: 3 * C,
                                       transposeB: true, m: T, n: T, k: D, alpha: scale)
                            Kernels.causalSoftmax(scores.baseAddress!, T: T)
                            BLAS.sgemm(out.baseAddress! + firstRow * C + head * D, ldc: C,
                                       scores.baseAddress!, lda: T, q + 2 * D, ldb: 3 * C, m: T, n: D, k: T)
                        }
                    }
                }
            }
        }
        return out
    }
}
