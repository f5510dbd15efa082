import Foundation

/// One GPT-NeoX block's parameters, f32, row-major as transformers stores them ((out, in) for Linear).
struct NeoXLayerWeights {
    var inputNormWeight: [Float] = [], inputNormBias: [Float] = []
    /// (3C, C): per head h, rows h·3D ..< h·3D + D are its query, the next D its key, then its
    /// value (NeoX interleaves the three per head; it is not q | k | v over all heads).
    var queryKeyValue: [Float] = []
    var queryKeyValueBias: [Float]?
    /// (C, C)
    var dense: [Float] = []
    var denseBias: [Float]?
    var postAttentionNormWeight: [Float] = [], postAttentionNormBias: [Float] = []
    /// (H, C) and (H)
    var up: [Float] = [], upBias: [Float] = []
    /// (C, H) and (C)
    var down: [Float] = [], downBias: [Float] = []
}

/// All parameters of a `GPTNeoXForCausalLM`, converted to f32 from F32 / F16 / BF16.
struct NeoXWeights {
    /// (V, C) `gpt_neox.embed_in.weight`
    var embedding: [Float]
    var layers: [NeoXLayerWeights]
    var finalNormWeight: [Float], finalNormBias: [Float]
    /// (V, C); nil when tied to `embedding`.
    var unembedding: [Float]?

    /// The unembedding's tensor name: Pythia's hub files say `embed_out.weight`, transformers 5
    /// renames it on load and saves `lm_head.weight`; either is read.
    static func unembeddingName(in checkpoint: SafetensorsCheckpoint) -> String {
        checkpoint.contains("embed_out.weight") ? "embed_out.weight" : "lm_head.weight"
    }

    /// Buffers older checkpoints carry beside the parameters (causal masks, rotary tables);
    /// transformers ignores them on load, and so does saestore.
    static func isBuffer(_ name: String) -> Bool {
        name.hasSuffix(".attention.bias") || name.hasSuffix(".attention.masked_bias") || name.hasSuffix(".rotary_emb.inv_freq")
    }

    /// The (V, C) unembedding alone (the one `load` would use), without reading the rest.
    static func unembedding(directory: String, config: NeoXConfig) throws -> [Float] {
        do {
            var checkpoint = try SafetensorsCheckpoint(directory: directory)
            let shape = [config.vocabularySize, config.hiddenWidth]
            return try checkpoint.read(config.tieWordEmbeddings ? "gpt_neox.embed_in.weight" : unembeddingName(in: checkpoint), shape)
        } catch let error as LlamaModelError {
            throw NeoXModelError(error)
        }
    }

    /// Reads every tensor, checks its shape against `config` and refuses tensors the
    /// architecture does not use; throws `NeoXModelError` naming the file and tensor.
    static func load(directory: String, config: NeoXConfig) throws -> NeoXWeights {
        do {
            var checkpoint = try SafetensorsCheckpoint(directory: directory)
            let C = config.hiddenWidth, H = config.mlpWidth, V = config.vocabularySize
            var weights = NeoXWeights(embedding: try checkpoint.read("gpt_neox.embed_in.weight", [V, C]), layers: [],
                                      finalNormWeight: try checkpoint.read("gpt_neox.final_layer_norm.weight", [C]),
                                      finalNormBias: try checkpoint.read("gpt_neox.final_layer_norm.bias", [C]), unembedding: nil)
            for l in 0..<config.layerCount {
                let p = "gpt_neox.layers.\(l)."
                var layer = NeoXLayerWeights()
                layer.inputNormWeight = try checkpoint.read(p + "input_layernorm.weight", [C])
                layer.inputNormBias = try checkpoint.read(p + "input_layernorm.bias", [C])
                layer.queryKeyValue = try checkpoint.read(p + "attention.query_key_value.weight", [3 * C, C])
                layer.dense = try checkpoint.read(p + "attention.dense.weight", [C, C])
                if config.attentionBias {
                    layer.queryKeyValueBias = try checkpoint.read(p + "attention.query_key_value.bias", [3 * C])
                    layer.denseBias = try checkpoint.read(p + "attention.dense.bias", [C])
                }
                layer.postAttentionNormWeight = try checkpoint.read(p + "post_attention_layernorm.weight", [C])
                layer.postAttentionNormBias = try checkpoint.read(p + "post_attention_layernorm.bias", [C])
                layer.up = try checkpoint.read(p + "mlp.dense_h_to_4h.weight", [H, C])
                layer.upBias = try checkpoint.read(p + "mlp.dense_h_to_4h.bias", [H])
                layer.down = try checkpoint.read(p + "mlp.dense_4h_to_h.weight", [C, H])
                layer.downBias = try checkpoint.read(p + "mlp.dense_4h_to_h.bias", [C])
                weights.layers.append(layer)
            }
            weights.unembedding = try checkpoint.readHead(unembeddingName(in: checkpoint), tied: config.tieWordEmbeddings, shape: [V, C])
            try checkpoint.refuseUnread(except: isBuffer)
            return weights
        } catch let error as LlamaModelError {
            throw NeoXModelError(error)
        }
    }
}
