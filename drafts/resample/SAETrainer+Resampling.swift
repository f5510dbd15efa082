import Foundation

/// Dead-latent resampling for the L1 SAEs (tied, standard, gated), after Anthropic's "Towards
/// Monosemanticity" (Bricken et al. 2023): after every `config.resampleEverySteps`-th step,
/// each latent that fired on none of the last `options.deadFeatureWindowTokens` rows (as AuxK
/// counts them: none before that many rows were seen) is re-initialised from an input the SAE
/// reconstructs badly:
///   1. a row b of the step's batch is drawn per dead latent with probability ∝ ℓ_b², ℓ_b =
///      Σ_c (x̂ − x)² under the weights before the step (the paper's squared loss), from the
///      trainer's seeded generator: it is checkpointed, so a resumed run draws the same rows;
///   2. u = x_b / ‖x_b‖ (the row as the SAE saw it, after the activation scale);
///   3. W_dec[j] = u; W_enc[:, j] = u · 0.2 · (mean ‖W_enc[:, i]‖ over the alive latents);
///      b_enc[j] = 0 (gated: b_gate, b_mag and r_mag = 0). The tied SAE's decoder row is its
///      encoder column, so it gets the scaled u.
///   4. Adam's moments of those entries are zeroed, so the stale history does not push the
///      new direction.
/// The paper draws from a sample of 819,200 inputs; one batch keeps the step streaming.
extension SAETrainer {
    /// Resamples the dead latents after a step on the `B` rows in `batch` (their row losses in
    /// `workspace.rowSquares`); returns how many were resampled.
    @discardableResult
    func resampleDeadLatents(rowCount B: Int) -> Int {
        let C = config.dIn, H = config.latentCount
        let window = options.deadFeatureWindowTokens
        let dead = (0..<H).filter { state.tokenCount - state.lastFiredTokenCount[$0] >= window }
        guard !dead.isEmpty else { return 0 }
        var columnNormSum = 0.0
        let deadSet = Set(dead)
        for j in 0..<H where !deadSet.contains(j) {
            var squares = 0.0
            for c in 0..<C { squares += Double(sae.weights.wEnc[c * H + j]) * Double(sae.weights.wEnc[c * H + j]) }
            columnNormSum += squares.squareRoot()
        }
        let aliveCount = H - dead.count
        let encoderNorm = 0.2 * (aliveCount > 0 ? columnNormSum / Double(aliveCount) : 1)
        // Cumulative ℓ², in row order; a batch reconstructed exactly everywhere draws uniformly.
        var cumulative = [Double](repeating: 0, count: B)
        var total = 0.0
        for b in 0..<B {
            let loss = workspace.rowSquares[b]
            total += loss * loss
            cumulative[b] = total
        }
        var weights = sae.weights
        var adam = optimizer.state
        for j in dead {
            let b = drawRow(cumulative: cumulative, total: total, rowCount: B)
            var squares = 0.0
            for c in 0..<C { squares += Double(batch[b * C + c]) * Double(batch[b * C + c]) }
            let norm = squares.squareRoot()
            for c in 0..<C {
                let u = norm > 0 ? Double(batch[b * C + c]) / norm : (c == j % C ? 1 : 0)
                weights.wEnc[c * H + j] = Float(u * encoderNorm)
                if !config.architecture.isTied { weights.wDec[j * C + c] = Float(u) }
                adam.firstMoments[0][c * H + j] = 0
                adam.secondMoments[0][c * H + j] = 0
                if !config.architecture.isTied {
                    adam.firstMoments[2][j * C + c] = 0
                    adam.secondMoments[2][j * C + c] = 0
                }
            }
            weights.bEnc[j] = 0
            adam.firstMoments[1][j] = 0
            adam.secondMoments[1][j] = 0
            if config.architecture.isGated {
                weights.rMag[j] = 0
                weights.bMag[j] = 0
                for slot in 4...5 {
                    adam.firstMoments[slot][j] = 0
                    adam.secondMoments[slot][j] = 0
                }
            }
        }
        sae.weights = weights
        optimizer.state = adam
        state.resampledLatentCount = (state.resampledLatentCount ?? 0) + dead.count
        return dead.count
    }

    /// The first row whose cumulative weight exceeds a uniform draw in [0, total); uniform
    /// over the rows when the total is 0 or not finite.
    private func drawRow(cumulative: [Double], total: Double, rowCount B: Int) -> Int {
        let unit = Double(state.generator.next() >> 11) * 0x1p-53
        guard total > 0, total.isFinite else { return min(Int(unit * Double(B)), B - 1) }
        let target = unit * total
        var low = 0, high = B - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > target { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
