import Foundation
import TensorIO

/// One block's parameters, f32, row-major as transformers stores them ((out, in) for Linear).
struct LlamaLayerWeights {
    var inputNorm: [Float] = []
    var query: [Float] = [], key: [Float] = [], value: [Float] = [], output: [Float] = []
    var queryBias: [Float]?, keyBias: [Float]?, valueBias: [Float]?
    var postAttentionNorm: [Float] = []
    var gate: [Float] = [], up: [Float] = [], down: [Float] = []
}

/// All parameters of a Llama-family causal LM, converted to f32 from F32 / F16 / BF16.
struct LlamaWeights {
    var embedding: [Float]
    var layers: [LlamaLayerWeights]
    var finalNorm: [Float]
    /// Nil when tied to `embedding`.
    var unembedding: [Float]?

    /// The (V, C) unembedding alone, converted to f32: `lm_head.weight`, or
    /// `model.embed_tokens.weight` when `tie_word_embeddings` (the same choice `load` makes),
    /// from the single file or whichever shard holds it; the rest of the weights is not read.
    /// Gemma 2 names the two tensors the same way and reads its unembedding here too.
    static func unembedding(directory: String, tieWordEmbeddings: Bool, shape: [Int]) throws -> [Float] {
        try SafetensorsCheckpoint.unembedding(directory: directory, head: "lm_head.weight", embedding: "model.embed_tokens.weight",
                                              tied: tieWordEmbeddings, shape: shape)
    }

    /// Reads `model.safetensors`, or every shard `model.safetensors.index.json` names, and
    /// checks each tensor's shape against `config`; unused tensors are refused.
    static func load(directory: String, config: LlamaConfig) throws -> LlamaWeights {
        var tensors = try SafetensorsCheckpoint(directory: directory)
        func read(_ name: String, _ shape: [Int]) throws -> [Float] { try tensors.read(name, shape) }
        let C = config.hiddenWidth, H = config.mlpWidth, V = config.vocabularySize
        let qWidth = config.headCount * config.headWidth, kvWidth = config.keyValueHeadCount * config.headWidth
        var weights = LlamaWeights(embedding: try read("model.embed_tokens.weight", [V, C]), layers: [],
                                   finalNorm: try read("model.norm.weight", [C]), unembedding: nil)
        for l in 0..<config.layerCount {
            let p = "model.layers.\(l)."
            var layer = LlamaLayerWeights()
            layer.inputNorm = try read(p + "input_layernorm.weight", [C])
            layer.query = try read(p + "self_attn.q_proj.weight", [qWidth, C])
            layer.key = try read(p + "self_attn.k_proj.weight", [kvWidth, C])
            layer.value = try read(p + "self_attn.v_proj.weight", [kvWidth, C])
            layer.output = try read(p + "self_attn.o_proj.weight", [C, qWidth])
            if config.attentionBias {
                layer.queryBias = try read(p + "self_attn.q_proj.bias", [qWidth])
                layer.keyBias = try read(p + "self_attn.k_proj.bias", [kvWidth])
                layer.valueBias = try read(p + "self_attn.v_proj.bias", [kvWidth])
            }
            layer.postAttentionNorm = try read(p + "post_attention_layernorm.weight", [C])
            layer.gate = try read(p + "mlp.gate_proj.weight", [H, C])
            layer.up = try read(p + "mlp.up_proj.weight", [H, C])
            layer.down = try read(p + "mlp.down_proj.weight", [C, H])
            weights.layers.append(layer)
        }
        weights.unembedding = try tensors.readHead("lm_head.weight", tied: config.tieWordEmbeddings, shape: [V, C])
        try tensors.refuseUnread()
        return weights
    }
}
