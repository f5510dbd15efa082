/// AuxK (Gao et al. 2024, SAELens `calculate_topk_aux_loss`): the dead latents' own TopK
/// reconstruction of what the live ones left over.
public struct AuxKTerms: Equatable, Sendable {
    /// α, the auxiliary term's weight.
    public var coefficient: Double
    /// k_aux before the dead-count cap (SAELens: d_in / 2).
    public var latentCount: Int
    /// Per latent, whether it counts as dead this step.
    public var deadMask: [Bool]

    /// AuxK terms with weight `coefficient`, k_aux `latentCount` and one dead flag per latent.
    public init(coefficient: Double, latentCount: Int, deadMask: [Bool]) {
        self.coefficient = coefficient
        self.latentCount = latentCount
        self.deadMask = deadMask
    }
}

extension SparseAutoencoder {
    /// Adds AuxK's loss and gradients for rows 0..<B (after the main step: needs x̂ − x in
    /// `ws.residuals`, the pre-activations in `ws.preActs`, x − b_dec in `ws.centered` when
    /// applied). With n dead latents, k' = min(k_aux, n) and scale = min(n / k_aux, 1):
    ///   z_b = the k' largest pre_bj over dead j (values as they are, negative too; ties: lower j)
    ///   e_b = z_b · W_dec − (x_b − x̂_b)          (no bias; x̂ held constant, SAELens' detach)
    ///   L_aux = α · scale · R(e)                  R the architecture's reconstruction term
    /// and the gradients reach W_enc, b_enc, b_dec (through x_in) and the W_dec rows of the
    /// chosen latents, whose rows `ws.auxKRowMarks` marks. Returns L_aux (0 with no dead latent).
    // x: (B,C), ws.preActs: (B,H), ws.residuals: (B,C); W_enc: (C,H), W_dec: (H,C)
    func addAuxK(_ x: [Float], rowCount B: Int, terms: AuxKTerms, workspace ws: inout SAEWorkspace,
                 gradients g: inout SAEWeights) -> Double {
        let C = dIn, H = dSAE
        let dead = terms.deadMask.reduce(0) { $0 + ($1 ? 1 : 0) }
        if ws.auxKRowMarks.count != H { ws.auxKRowMarks = [Int32](repeating: 0, count: H) }
        for j in 0..<H { ws.auxKRowMarks[j] = 0 }
        guard dead > 0, terms.latentCount > 0 else { return 0 }
        let kAux = min(terms.latentCount, dead)
        let scale = min(Double(dead) / Double(terms.latentCount), 1)
        let s = reconstructionScale(rowCount: B)
        let alpha = Float(terms.coefficient * scale) * s
        if ws.auxKHeap.count < kAux { ws.auxKHeap = [Int](repeating: 0, count: kAux) }
        if ws.auxKCandidates.count < H { ws.auxKCandidates = [Int32](repeating: 0, count: H) }
        if ws.auxKRow.count < H { ws.auxKRow = [Float](repeating: 0, count: H) }
        var error = [Float](repeating: 0, count: C)
        var sumSquares = 0.0
        let input = applyBDecToInput ? ws.centered : x
        // One row at a time: k' entries per row, O(k'·d_in) each, small beside the step.
        for b in 0..<B {
            for j in 0..<H { ws.auxKRow[j] = terms.deadMask[j] ? ws.preActs[b * H + j] : -.infinity }
            ws.auxKRow.withUnsafeBufferPointer { row in
                ws.auxKHeap.withUnsafeMutableBufferPointer { heap in
                    ws.auxKCandidates.withUnsafeMutableBufferPointer { candidates in
                        TopKSelection.select(row: row.baseAddress!, count: H, k: kAux, heap: heap.baseAddress!,
                                             candidates: candidates.baseAddress!)
                    }
                }
            }
            let chosen = ws.auxKHeap[0..<kAux].sorted()
            // e_b = Σ z·W_dec[j] + (x̂ − x)_b
            for c in 0..<C { error[c] = ws.residuals[b * C + c] }
            weights.wDec.withUnsafeBufferPointer { w in
                error.withUnsafeMutableBufferPointer { e in
                    for j in chosen { SparseKernels.axpy(ws.preActs[b * H + j], w.baseAddress! + j * C, e.baseAddress!, C) }
                }
            }
            for c in 0..<C { sumSquares += Double(error[c]) * Double(error[c]) }
            for j in chosen {
                let z = ws.preActs[b * H + j]
                let dz = weights.wDec.withUnsafeBufferPointer { w in
                    error.withUnsafeBufferPointer { e in alpha * SparseKernels.dot(e.baseAddress!, w.baseAddress! + j * C, C) }
                }
                if ws.auxKRowMarks[j] == 0 && ws.lastStepWasSparse && !ws.zeroesUnfiredDecoderRows
                    && ws.firedRowCounts[j] == 0 {
                    // The sparse step left this unfired latent's gradient row unwritten.
                    for c in 0..<C { g.wDec[j * C + c] = 0 }
                }
                ws.auxKRowMarks[j] = 1
                g.bEnc[j] += dz
                for c in 0..<C {
                    g.wDec[j * C + c] += alpha * z * error[c]
                    g.wEnc[c * H + j] += input[b * C + c] * dz
                    if applyBDecToInput { g.bDec[c] -= weights.wEnc[c * H + j] * dz }
                }
            }
        }
        let reconstruction = sumSquares / Double(architecture.sumsSquaredErrorOverInput ? B : B * C)
        return terms.coefficient * scale * reconstruction
    }
}
