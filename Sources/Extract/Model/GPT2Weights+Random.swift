import TensorIO
import Foundation

/// Deterministic random weights, for tests and benchmarks that need a model of a given
/// shape but not a trained one.
extension GPT2Weights {
    /// Normal(0, `standardDeviation`) matrices and biases (HF's init uses 0.02), LayerNorm
    /// gains near 1 and offsets near 0 so every parameter influences the output.
    public static func random(config: GPT2Config, seed: UInt64 = 0, standardDeviation: Float = 0.02) -> GPT2Weights {
        var rng = SplitMix64(seed: seed)
        func normal(_ count: Int, mean: Float = 0, std: Float = standardDeviation) -> [Float] {
            var out = [Float](repeating: 0, count: count)
            var i = 0
            while i < count {
                // Box-Muller: two uniforms in (0,1] give two independent normals.
                let u1 = Float(rng.next() >> 40 + 1) / Float(1 << 24)
                let u2 = Float(rng.next() >> 40) / Float(1 << 24)
                let r = (-2 * logf(u1)).squareRoot()
                out[i] = mean + std * r * cosf(2 * .pi * u2)
                if i + 1 < count { out[i + 1] = mean + std * r * sinf(2 * .pi * u2) }
                i += 2
            }
            return out
        }
        let C = config.embeddingWidth, H = config.mlpWidth
        let layers = (0..<config.layerCount).map { _ in
            GPT2LayerWeights(
                ln1Weight: normal(C, mean: 1, std: 0.1), ln1Bias: normal(C, std: 0.1),
                qkvWeight: normal(C * 3 * C), qkvBias: normal(3 * C),
                attnProjWeight: normal(C * C), attnProjBias: normal(C),
                ln2Weight: normal(C, mean: 1, std: 0.1), ln2Bias: normal(C, std: 0.1),
                fcWeight: normal(C * H), fcBias: normal(H),
                fcProjWeight: normal(H * C), fcProjBias: normal(C))
        }
        return GPT2Weights(
            tokenEmbedding: normal(config.vocabularySize * C),
            positionEmbedding: normal(config.maxPositions * C, std: 0.01),
            layers: layers,
            finalNormWeight: normal(C, mean: 1, std: 0.1), finalNormBias: normal(C, std: 0.1),
            unembedding: config.tieWordEmbeddings ? nil : normal(config.vocabularySize * C))
    }
}


