import Foundation

extension SparseAutoencoder {
    /// Initial weights, drawn from `generator` in a fixed order (W_enc or W_dec row-major, then
    /// b_enc). Tied: torch nn.Linear(d_in, d_sae)'s default, W and b_enc uniform in
    /// ±1/sqrt(d_in), b_dec = 0. Untied: SAELens — W_dec (d_sae, d_in) kaiming-uniform
    /// (±sqrt(6/d_in)), each row rescaled to `decoderInitNorm` (1 with `decoderUnitNorm`),
    /// W_enc = W_decᵀ, biases 0; jumprelu's θ at `jumpReLUInitialThreshold`, batchtopk's at 0
    /// (SAELens' initial `topk_threshold`). A transcoder starts as its SAE would (W_enc = W_decᵀ:
    /// d_out = d_in here), with W_skip = 0 as SAELens' SkipTranscoder initialises it.
    static func initialWeights(config: SAEConfig, generator: inout SeededGenerator) -> SAEWeights {
        let C = config.dIn, H = config.latentCount
        var weights = SAEWeights(zerosFor: config.architecture, dIn: C, dSAE: H,
                                 skipConnection: config.transcoder?.skipConnection ?? false)
        if config.architecture.isTied {
            let bound = Float(1 / Double(C).squareRoot())
            for i in 0..<(C * H) { weights.wEnc[i] = generator.nextSymmetric(bound: bound) }
            for j in 0..<H { weights.bEnc[j] = generator.nextSymmetric(bound: bound) }
            return weights
        }
        let bound = Float((6 / Double(C)).squareRoot())
        for i in 0..<(H * C) { weights.wDec[i] = generator.nextSymmetric(bound: bound) }
        let rowNorm = config.decoderUnitNorm ? 1 : config.decoderInitNorm
        for j in 0..<H {
            var sumSquares = 0.0
            for c in 0..<C { sumSquares += Double(weights.wDec[j * C + c]) * Double(weights.wDec[j * C + c]) }
            let scale = Float(rowNorm / max(sumSquares.squareRoot(), 1e-30))
            for c in 0..<C {
                weights.wDec[j * C + c] *= scale
                weights.wEnc[c * H + j] = weights.wDec[j * C + c]
            }
        }
        if config.architecture == .jumprelu {
            weights.threshold = [Float](repeating: Float(config.jumpReLUInitialThreshold), count: H)
        }
        return weights
    }
}
