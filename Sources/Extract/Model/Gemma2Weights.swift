import Foundation
import TensorIO

/// One Gemma 2 block's parameters in f32, row-major as transformers stores them ((out, in) for
/// Linear). The four RMSNorm weights are kept as stored (w); the forward multiplies by (1 + w).
struct Gemma2LayerWeights {
    var inputNorm: [Float] = [], postAttentionNorm: [Float] = []
    var preFeedforwardNorm: [Float] = [], postFeedforwardNorm: [Float] = []
    var query: [Float] = [], key: [Float] = [], value: [Float] = [], output: [Float] = []
    var gate: [Float] = [], up: [Float] = [], down: [Float] = []
}

/// All parameters of a Gemma2ForCausalLM, converted to f32 from F32 / F16 / BF16, read through
/// the same `SafetensorsCheckpoint` as the Llama family (single file or shards, shape checks,
/// unused tensors refused).
struct Gemma2Weights {
    var embedding: [Float]
    var layers: [Gemma2LayerWeights]
    var finalNorm: [Float]
    /// Nil when tied to `embedding` (every released Gemma 2).
    var unembedding: [Float]?
    /// √hidden_size as transformers applies it: a float32 scalar cast to the embedding's stored
    /// dtype (`embed_scale.to(weight.dtype)`), so a bf16 checkpoint of width 3584 scales by 60,
    /// not 59.87. Width 2304 (Gemma 2 2B) gives exactly 48 in every dtype.
    var embeddingScale: Float

    /// The embedding normaliser for width `C` stored as `dtype`.
    static func normaliser(width C: Int, dtype: TensorDType?) -> Float {
        let scale = Float(Double(C).squareRoot())
        switch dtype {
        case .bf16?: return HalfConversion.float(fromBF16: HalfConversion.bf16Bits(scale))
        case .f16?: return HalfConversion.float(fromF16: HalfConversion.f16Bits(scale))
        default: return scale
        }
    }

    /// Reads the checkpoint in `directory` and checks each tensor's shape against `config`.
    static func load(directory: String, config: Gemma2Config) throws -> Gemma2Weights {
        var tensors = try SafetensorsCheckpoint(directory: directory)
        let C = config.hiddenWidth, H = config.mlpWidth, V = config.vocabularySize
        let qWidth = config.headCount * config.headWidth, kvWidth = config.keyValueHeadCount * config.headWidth
        var weights = Gemma2Weights(embedding: try tensors.read("model.embed_tokens.weight", [V, C]), layers: [],
                                    finalNorm: try tensors.read("model.norm.weight", [C]), unembedding: nil,
                                    embeddingScale: normaliser(width: C, dtype: tensors.dtype(of: "model.embed_tokens.weight")))
        for l in 0..<config.layerCount {
            let p = "model.layers.\(l)."
            var layer = Gemma2LayerWeights()
            layer.inputNorm = try tensors.read(p + "input_layernorm.weight", [C])
            layer.postAttentionNorm = try tensors.read(p + "post_attention_layernorm.weight", [C])
            layer.preFeedforwardNorm = try tensors.read(p + "pre_feedforward_layernorm.weight", [C])
            layer.postFeedforwardNorm = try tensors.read(p + "post_feedforward_layernorm.weight", [C])
            layer.query = try tensors.read(p + "self_attn.q_proj.weight", [qWidth, C])
            layer.key = try tensors.read(p + "self_attn.k_proj.weight", [kvWidth, C])
            layer.value = try tensors.read(p + "self_attn.v_proj.weight", [kvWidth, C])
            layer.output = try tensors.read(p + "self_attn.o_proj.weight", [C, qWidth])
            layer.gate = try tensors.read(p + "mlp.gate_proj.weight", [H, C])
            layer.up = try tensors.read(p + "mlp.up_proj.weight", [H, C])
            layer.down = try tensors.read(p + "mlp.down_proj.weight", [C, H])
            weights.layers.append(layer)
        }
        weights.unembedding = try tensors.readHead("lm_head.weight", tied: config.tieWordEmbeddings, shape: [V, C])
        try tensors.refuseUnread()
        return weights
    }
}
