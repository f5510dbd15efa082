import Foundation

/// The config.json fields of a Gemma 2 decoder (`model_type` "gemma2"), read as transformers'
/// `Gemma2Config` reads them, with its defaults for absent fields.
public struct Gemma2Config: Equatable, Sendable {
    /// Transformer blocks (L), `num_hidden_layers`.
    public var layerCount: Int
    /// Residual stream width in floats (C), `hidden_size`; the embedding is scaled by √C.
    public var hiddenWidth: Int
    /// GeGLU hidden width in floats, `intermediate_size`: the width of `mlp.hook_post`.
    public var mlpWidth: Int
    /// Query heads per block, `num_attention_heads`.
    public var headCount: Int
    /// Key/value heads per block (grouped-query attention), `num_key_value_heads`; default `headCount`.
    public var keyValueHeadCount: Int
    /// Floats per head, `head_dim` (default 256, as Gemma2Config: not hidden / heads).
    public var headWidth: Int
    /// Token ids the embedding holds (V), `vocab_size`.
    public var vocabularySize: Int
    /// Longest sequence in tokens, `max_position_embeddings`; the rotary tables cover this many positions.
    public var maxPositions: Int
    /// Epsilon added to the mean square inside every RMSNorm, `rms_norm_eps` (default 1e-6).
    public var rmsNormEpsilon: Float
    /// Rotary base, `rope_theta` (default 10000; transformers 5 puts it in `rope_parameters`).
    public var ropeTheta: Double
    /// Attention scores are q·k · `query_pre_attn_scalar`^-0.5 (default 256), not 1/√head_dim.
    public var queryPreAttentionScalar: Double
    /// `attn_logit_softcapping` (default 50): scores become tanh(s/cap)·cap before the mask; nil: none.
    public var attentionSoftCap: Float?
    /// `final_logit_softcapping` (default 30): logits become tanh(z/cap)·cap; nil: none.
    public var finalSoftCap: Float?
    /// Per block, the sliding window in tokens (a query reads itself and the window − 1 positions
    /// before it) or nil for a global block: `layer_types`, else transformers' default (even block
    /// indices slide: 0, 2, 4, …), with `sliding_window` (default 4096).
    public var slidingWindows: [Int?]
    /// Whether the unembedding is the token embedding, `tie_word_embeddings` (default true).
    public var tieWordEmbeddings: Bool

    /// Reads config.json; throws `LlamaModelError.invalidConfig` naming the file, the field and
    /// what runs: `hidden_activation` other than gelu_pytorch_tanh, `attention_bias`, a rope_type
    /// other than "default", bidirectional attention, bad `layer_types`, non-positive sizes.
    public static func load(path: String) throws -> Gemma2Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LlamaModelError.unreadableFile(path: path, reason: "no such file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LlamaModelError.unreadableFile(path: path, reason: "not a JSON object")
        }
        func invalid(_ field: String, _ expected: String) -> LlamaModelError {
            .invalidConfig(path: path, field: field, found: object[field].map { "\($0)" } ?? "missing", expected: expected)
        }
        func isAbsent(_ field: String) -> Bool { object[field] == nil || object[field] is NSNull }
        func integer(_ field: String, default fallback: Int? = nil) throws -> Int {
            if let value = object[field] as? Int, value > 0 { return value }
            if isAbsent(field), let fallback { return fallback }
            throw invalid(field, "a positive integer")
        }
        func positive(_ field: String, default fallback: Double?) throws -> Double? {
            if isAbsent(field) { return object[field] == nil ? fallback : nil }
            guard let value = object[field] as? Double, value > 0 else { throw invalid(field, "a positive number or null") }
            return value
        }
        guard object["model_type"] as? String == "gemma2" else { throw invalid("model_type", "\"gemma2\"") }
        // transformers reads hidden_activation; older Gemma files also carry hidden_act, which it ignores.
        let activation = object["hidden_activation"] as? String ?? "gelu_pytorch_tanh"
        guard activation == "gelu_pytorch_tanh" else { throw invalid("hidden_activation", "\"gelu_pytorch_tanh\"") }
        if object["attention_bias"] as? Bool ?? false { throw invalid("attention_bias", "false") }
        if object["use_bidirectional_attention"] as? Bool ?? false { throw invalid("use_bidirectional_attention", "false or null (causal attention)") }
        let rope = object["rope_parameters"] as? [String: Any] ?? object["rope_scaling"] as? [String: Any] ?? [:]
        let ropeType = rope["rope_type"] as? String ?? rope["type"] as? String ?? "default"
        guard ropeType == "default" else {
            throw LlamaModelError.invalidConfig(path: path, field: "rope_type", found: ropeType, expected: "\"default\"")
        }
        let heads = try integer("num_attention_heads")
        let layerCount = try integer("num_hidden_layers")
        let keyValueHeads = try integer("num_key_value_heads", default: heads)
        guard heads % keyValueHeads == 0 else { throw invalid("num_key_value_heads", "a divisor of num_attention_heads (\(heads))") }
        let headWidth = try integer("head_dim", default: 256)
        guard headWidth % 2 == 0 else { throw invalid("head_dim", "an even number (rotary pairs dimension i with i + head_dim/2)") }
        let window = try integer("sliding_window", default: 4096)
        let sliding = try LayerAttentionTypes.read(object, path: path, layerCount: layerCount) { layer in (layer + 1) % 2 == 1 }
        return Gemma2Config(
            layerCount: layerCount, hiddenWidth: try integer("hidden_size"), mlpWidth: try integer("intermediate_size"),
            headCount: heads, keyValueHeadCount: keyValueHeads, headWidth: headWidth,
            vocabularySize: try integer("vocab_size"), maxPositions: try integer("max_position_embeddings"),
            rmsNormEpsilon: Float(try positive("rms_norm_eps", default: 1e-6) ?? 1e-6),
            ropeTheta: (rope["rope_theta"] as? Double) ?? (object["rope_theta"] as? Double) ?? 10000,
            queryPreAttentionScalar: try positive("query_pre_attn_scalar", default: 256) ?? 256,
            attentionSoftCap: try positive("attn_logit_softcapping", default: 50).map { Float($0) },
            finalSoftCap: try positive("final_logit_softcapping", default: 30).map { Float($0) },
            slidingWindows: sliding.map { $0 ? window : nil },
            tieWordEmbeddings: object["tie_word_embeddings"] as? Bool ?? true)
    }
}
