import Foundation

/// Dead-latent resampling for the L1 SAEs (tied, standard, gated), after Anthropic's "Towards
/// Monosemanticity" (Bricken et al. 2023, "Neuron resampling"): after every
/// `config.resampleEverySteps`-th step, the latents that fired on none of the last
/// `options.deadFeatureWindowTokens` rows (counted as AuxK counts them: none before that many
/// rows were seen, and a resampled latent's window starts again at its resample) are
/// re-initialised from inputs the SAE reconstructs badly:
///   1. rows of the step's batch are drawn without replacement with probability ∝ ℓ_b²,
///      ℓ_b = Σ_c (x̂ − x)² under the weights of the step (the paper's "square of the loss"),
///      from the trainer's seeded generator (checkpointed: a resumed run draws the same rows);
///      one row per dead latent, lowest latent index first, at most B latents per resample
///      (the rest wait for the next one, as dictionary_learning does);
///   2. u = x_b / ‖x_b‖ (the row as the SAE saw it, after the activation scale);
///   3. W_dec[j] = u; W_enc[:, j] = u · 0.2 · (mean ‖W_enc[:, i]‖ over the alive latents);
///      b_enc[j] = 0 (gated: b_gate, b_mag and r_mag = 0). The tied SAE's decoder row is its
///      encoder column, so it gets the scaled u;
///   4. Adam's moments of those entries are zeroed ("reset the Adam optimizer parameters for
///      every modified weight and bias term"); Adam's step count stays, as in torch.
/// The paper draws from a sample of 819,200 inputs; the step's batch keeps training a stream
/// with no second pass.
extension SAETrainer {
    /// The latents resampling would re-initialise now: no firing in the window, in index order.
    func resamplingCandidates() -> [Int] {
        let window = options.deadFeatureWindowTokens
        return (0..<config.latentCount).filter { state.tokenCount - state.lastFiredTokenCount[$0] >= window }
    }

    /// Resamples the dead latents after a step on the `B` rows in `batch` (their squared errors
    /// in `workspace.rowSquares`); returns how many were resampled.
    @discardableResult
    func resampleDeadLatents(rowCount B: Int) -> Int {
        let C = config.dIn, H = config.latentCount
        let dead = Array(resamplingCandidates().prefix(B))
        guard !dead.isEmpty else { return 0 }
        let allDead = Set(resamplingCandidates())
        var columnNormSum = 0.0
        for j in 0..<H where !allDead.contains(j) {
            var squares = 0.0
            for c in 0..<C { squares += Double(sae.weights.wEnc[c * H + j]) * Double(sae.weights.wEnc[c * H + j]) }
            columnNormSum += squares.squareRoot()
        }
        let aliveCount = H - allDead.count
        // With every latent dead there is no alive norm to follow; 1 keeps the scale of a unit row.
        let encoderNorm = 0.2 * (aliveCount > 0 ? columnNormSum / Double(aliveCount) : 1)
        var rowWeights = (0..<B).map { workspace.rowSquares[$0] * workspace.rowSquares[$0] }
        var weights = sae.weights
        var adam = optimizer.state
        for j in dead {
            let b = drawRow(weights: &rowWeights)
            var squares = 0.0
            for c in 0..<C { squares += Double(batch[b * C + c]) * Double(batch[b * C + c]) }
            let norm = squares.squareRoot()
            for c in 0..<C {
                // An all-zero row has no direction; a basis vector stands in for it.
                let u = norm > 0 ? Double(batch[b * C + c]) / norm : (c == j % C ? 1 : 0)
                weights.wEnc[c * H + j] = Float(u * encoderNorm)
                adam.firstMoments[0][c * H + j] = 0
                adam.secondMoments[0][c * H + j] = 0
                if !config.architecture.isTied {
                    weights.wDec[j * C + c] = Float(u)
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
            // Its window starts again, so the next resample judges the new direction.
            state.lastFiredTokenCount[j] = state.tokenCount
        }
        sae.weights = weights
        optimizer.state = adam
        state.resampledLatentCount = (state.resampledLatentCount ?? 0) + dead.count
        return dead.count
    }

    /// Draws one row with probability ∝ `weights` and sets its weight to 0 (no replacement);
    /// uniform over the rows left when every weight is 0 or the sum is not finite.
    private func drawRow(weights: inout [Double]) -> Int {
        let unit = Double(state.generator.next() >> 11) * 0x1p-53
        var total = 0.0
        for w in weights where w > 0 { total += w }
        var chosen: Int
        if total > 0, total.isFinite {
            let target = unit * total
            var running = 0.0
            chosen = weights.lastIndex { $0 > 0 } ?? 0
            for (b, w) in weights.enumerated() where w > 0 {
                running += w
                if running > target { chosen = b; break }
            }
        } else {
            let left = weights.indices.filter { weights[$0] >= 0 }
            chosen = left[min(Int(unit * Double(left.count)), left.count - 1)]
        }
        // −1 marks a drawn row, so neither branch draws it again.
        weights[chosen] = -1
        return chosen
    }
}
