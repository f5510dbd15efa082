import TensorIO

extension GPT2Weights {
    /// Buffers some checkpoints carry beside the parameters (the causal mask and its fill value,
    /// written by older transformers); the forward pass builds its own mask.
    static let ignoredSuffixes = [".attn.bias", ".attn.masked_bias"]

    /// Loads every parameter from a Hugging Face `model.safetensors`, converting F16/BF16 to f32.
    /// Names may be unprefixed (`h.0.ln_1.weight`, as the hub's gpt2) or carry `transformer.`
    /// (as GPT2LMHeadModel.save_pretrained writes); `lm_head.weight` is optional when tied.
    /// Throws `GPT2ModelError` naming the tensor, expected and found shape on any mismatch.
    public static func load(path: String, config: GPT2Config) throws -> GPT2Weights {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(path: path)
        } catch {
            throw GPT2ModelError.unreadableFile(path: path, reason: "\(error)")
        }
        let prefix = file.tensors["transformer.wte.weight"] != nil ? "transformer." : ""
        var used: Set<String> = []

        func read(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let info = file.tensors[name] else {
                throw GPT2ModelError.missingTensor(path: path, name: name, expectedShape: shape)
            }
            guard info.dtype.isFloatingPoint else {
                throw GPT2ModelError.unsupportedDType(path: path, name: name, dtype: info.dtype.rawValue)
            }
            guard info.shape == shape else {
                throw GPT2ModelError.wrongShape(path: path, name: name, expectedShape: shape, foundShape: info.shape)
            }
            used.insert(name)
            do {
                return try file.floats(name)
            } catch {
                throw GPT2ModelError.unreadableFile(path: path, reason: "\(error)")
            }
        }

        var weights = GPT2Weights(tokenEmbedding: [], positionEmbedding: [], layers: [],
                                  finalNormWeight: [], finalNormBias: [])
        for p in parameters(config) {
            weights[keyPath: p.keyPath] = try read(prefix + p.name, p.shape)
        }
        for l in 0..<config.layerCount {
            var layer = GPT2LayerWeights.empty
            for p in GPT2LayerWeights.parameters(config) {
                layer[keyPath: p.keyPath] = try read("\(prefix)h.\(l).\(p.name)", p.shape)
            }
            weights.layers.append(layer)
        }
        // lm_head sits outside `transformer.` in GPT2LMHeadModel. When tied it duplicates wte,
        // so it is not kept.
        let unembeddingShape = [config.vocabularySize, config.embeddingWidth]
        if !config.tieWordEmbeddings {
            weights.unembedding = try read("lm_head.weight", unembeddingShape)
        } else if let info = file.tensors["lm_head.weight"] {
            guard info.shape == unembeddingShape else {
                throw GPT2ModelError.wrongShape(path: path, name: "lm_head.weight", expectedShape: unembeddingShape,
                                                foundShape: info.shape)
            }
            used.insert("lm_head.weight")
        }
        for name in file.tensorNames where !used.contains(name) {
            guard Self.ignoredSuffixes.contains(where: { name.hasSuffix($0) }) else {
                throw GPT2ModelError.unexpectedTensor(path: path, name: name)
            }
        }
        return weights
    }
}
