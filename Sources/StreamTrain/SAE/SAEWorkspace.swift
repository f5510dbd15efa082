/// Scratch buffers sized for one maximum batch; a trainer keeps one and reuses it every step,
/// so a step allocates nothing.
struct SAEWorkspace {
    /// Most rows a batch may have.
    let maxRowCount: Int
    /// x − b_dec, (B, dIn); used only when the SAE applies b_dec to its input.
    var centered: [Float]
    /// Pre-activations, then the latent activations f in place, (B, dSAE).
    var acts: [Float]
    /// dL/df, then dL/dpre in place, (B, dSAE).
    var actGrads: [Float]
    /// x̂, then x̂ − x in place, (B, dIn).
    var residuals: [Float]
    /// ‖W_dec[j]‖ per latent (standard only), (dSAE).
    var decoderRowNorms: [Float]
    /// Σ_b f[b, j] over the batch, (dSAE).
    var latentActSums: [Double]
    /// Rows of the batch in which latent j fired (f > 0), (dSAE).
    var firedRowCounts: [Int32]
    /// TopK's per-row heap of latent indices, (k).
    var topkHeap: [Int]
    /// TopK's kept values, (k).
    var topkValues: [Float]

    init(sae: SparseAutoencoder, maxRowCount: Int) {
        precondition(maxRowCount > 0, "a workspace needs room for at least one row")
        let C = sae.dIn, H = sae.dSAE
        self.maxRowCount = maxRowCount
        centered = sae.applyBDecToInput ? [Float](repeating: 0, count: maxRowCount * C) : []
        acts = [Float](repeating: 0, count: maxRowCount * H)
        actGrads = [Float](repeating: 0, count: maxRowCount * H)
        residuals = [Float](repeating: 0, count: maxRowCount * C)
        decoderRowNorms = [Float](repeating: 1, count: H)
        latentActSums = [Double](repeating: 0, count: H)
        firedRowCounts = [Int32](repeating: 0, count: H)
        topkHeap = [Int](repeating: 0, count: max(sae.k, 1))
        topkValues = [Float](repeating: 0, count: max(sae.k, 1))
    }
}
