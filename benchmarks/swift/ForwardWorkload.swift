import Extract

/// The forward benchmark's work: gpt2-small shapes, batch × context tokens, first `layers` blocks.
struct ForwardWorkload {
    var config: GPT2Config = .gpt2Small
    var batch: Int
    var context: Int

    /// sgemm shapes (m, n, k, calls) of `layers` blocks as GPT2Model issues them.
    func sgemmShapes() -> [(name: String, m: Int, n: Int, k: Int, calls: Int)] {
        let C = config.embeddingWidth, H = config.mlpWidth, NH = config.headCount
        let N = batch * context, T = context, hs = C / NH
        return [
            ("c_attn", N, 3 * C, C, 1),
            ("attn.c_proj", N, C, C, 1),
            ("mlp.c_fc", N, H, C, 1),
            ("mlp.c_proj", N, C, H, 1),
            ("qk", T, T, hs, batch * NH),
            ("av", T, hs, T, batch * NH),
        ]
    }

    /// Floating-point operations (2 per multiply-add) of the sgemms of one block.
    func sgemmFlopsPerLayer() -> Double {
        sgemmShapes().reduce(0) { $0 + 2 * Double($1.m) * Double($1.n) * Double($1.k) * Double($1.calls) }
    }
}
