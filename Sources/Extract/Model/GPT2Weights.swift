/// All parameters of a GPT-2 LM in f32, shaped as in the Hugging Face checkpoint.
public struct GPT2Weights: Sendable {
    /// `wte.weight`: (V, C)
    public var tokenEmbedding: [Float]
    /// `wpe.weight`: (P, C)
    public var positionEmbedding: [Float]
    /// The blocks in order, `h.0` … `h.{L-1}` (L = `layerCount`).
    public var layers: [GPT2LayerWeights]
    /// `ln_f.weight`, `ln_f.bias`: (C)
    public var finalNormWeight: [Float]
    /// `ln_f.bias`: (C).
    public var finalNormBias: [Float]
    /// `lm_head.weight`: (V, C); `nil` means tied to `tokenEmbedding`.
    public var unembedding: [Float]?

    /// Every parameter given, in the shapes above; `GPT2Model.init(config:weights:)` checks the sizes.
    public init(tokenEmbedding: [Float], positionEmbedding: [Float], layers: [GPT2LayerWeights],
                finalNormWeight: [Float], finalNormBias: [Float], unembedding: [Float]? = nil) {
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.layers = layers
        self.finalNormWeight = finalNormWeight
        self.finalNormBias = finalNormBias
        self.unembedding = unembedding
    }

    /// (HF tensor name without prefix, expected shape, key path) for the non-block parameters.
    static func parameters(_ config: GPT2Config)
        -> [(name: String, shape: [Int], keyPath: WritableKeyPath<GPT2Weights, [Float]>)] {
        let C = config.embeddingWidth
        return [
            ("wte.weight", [config.vocabularySize, C], \.tokenEmbedding),
            ("wpe.weight", [config.maxPositions, C], \.positionEmbedding),
            ("ln_f.weight", [C], \.finalNormWeight), ("ln_f.bias", [C], \.finalNormBias),
        ]
    }

    /// Checks every array's element count against `config`; `path` names the source in errors.
    /// A flat array carries no shape, so a mismatch reports the expected shape and the found count.
    public func validate(for config: GPT2Config, path: String = "in-memory weights") throws {
        func check(_ name: String, _ shape: [Int], _ values: [Float]) throws {
            let expected = shape.reduce(1, *)
            guard values.count == expected else {
                throw GPT2ModelError.wrongShape(path: path, name: name, expectedShape: shape,
                                                foundShape: [values.count])
            }
        }
        for p in Self.parameters(config) { try check(p.name, p.shape, self[keyPath: p.keyPath]) }
        guard layers.count == config.layerCount else {
            throw GPT2ModelError.wrongShape(path: path, name: "h.*", expectedShape: [config.layerCount],
                                            foundShape: [layers.count])
        }
        for (l, layer) in layers.enumerated() {
            for p in GPT2LayerWeights.parameters(config) {
                try check("h.\(l).\(p.name)", p.shape, layer[keyPath: p.keyPath])
            }
        }
        if let unembedding {
            try check("lm_head.weight", [config.vocabularySize, config.embeddingWidth], unembedding)
        } else if !config.tieWordEmbeddings {
            throw GPT2ModelError.missingTensor(path: path, name: "lm_head.weight",
                                               expectedShape: [config.vocabularySize, config.embeddingWidth])
        }
    }
}
