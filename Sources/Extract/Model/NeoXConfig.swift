import Foundation

/// The config.json fields of a GPT-NeoX decoder (Pythia, GPT-NeoX-20B), read as transformers'
/// `GPTNeoXConfig` reads them: both the older `rotary_pct` / `rotary_emb_base` keys and
/// transformers 5's `rope_parameters` (`partial_rotary_factor`, `rope_theta`).
public struct NeoXConfig: Equatable, Sendable {
    /// Transformer blocks (L), `num_hidden_layers`.
    public var layerCount: Int
    /// Residual stream width in floats (C), `hidden_size`.
    public var hiddenWidth: Int
    /// MLP hidden width in floats, `intermediate_size`: the width of `mlp.hook_post`.
    public var mlpWidth: Int
    /// Attention heads per block (NH), `num_attention_heads`; every head is hiddenWidth / headCount floats.
    public var headCount: Int
    /// Token ids the embedding holds (V), `vocab_size`.
    public var vocabularySize: Int
    /// Longest sequence in tokens, `max_position_embeddings`; the rotary tables cover this many positions.
    public var maxPositions: Int
    /// Epsilon added to the variance inside every LayerNorm, `layer_norm_eps` (default 1e-5).
    public var layerNormEpsilon: Float
    /// Rotary base, `rope_parameters.rope_theta` or the older `rotary_emb_base` (default 10000).
    public var ropeTheta: Double
    /// Leading floats of each head that are rotated (rotary_ndims): int(headWidth × `rotary_pct`
    /// / `partial_rotary_factor`), default factor 0.25 as transformers; the rest pass unrotated.
    public var rotaryWidth: Int
    /// `use_parallel_residual` (default true, all of Pythia): x + attn(ln1(x)) + mlp(ln2(x));
    /// false: x' = x + attn(ln1(x)), then x' + mlp(ln2(x')).
    public var usesParallelResidual: Bool
    /// Biases on query_key_value and dense, `attention_bias` (default true).
    public var attentionBias: Bool
    /// The MLP activation `hidden_act` names: exact erf GELU ("gelu", Pythia) or the tanh form.
    var activation: GELUKind
    /// Whether the unembedding is `embed_in`, `tie_word_embeddings` (default false: Pythia's own
    /// `embed_out`, which transformers 5 saves as `lm_head`).
    public var tieWordEmbeddings: Bool

    /// Floats per head: hiddenWidth / headCount.
    public var headWidth: Int { hiddenWidth / headCount }

    /// Reads config.json; throws `NeoXModelError.invalidConfig` naming the file and the field.
    public static func load(path: String) throws -> NeoXConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NeoXModelError.unreadableFile(path: path, reason: "no such file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NeoXModelError.unreadableFile(path: path, reason: "not a JSON object")
        }
        func invalid(_ field: String, _ expected: String, found: Any? = nil) -> NeoXModelError {
            .invalidConfig(path: path, field: field, found: (found ?? object[field]).map { "\($0)" } ?? "missing", expected: expected)
        }
        func integer(_ field: String) throws -> Int {
            if let value = object[field] as? Int, value > 0 { return value }
            throw invalid(field, "a positive integer")
        }
        func flag(_ field: String, default fallback: Bool) throws -> Bool {
            guard let value = object[field], !(value is NSNull) else { return fallback }
            guard let flag = value as? Bool else { throw invalid(field, "true or false") }
            return flag
        }
        guard object["model_type"] as? String == "gpt_neox" else { throw invalid("model_type", "\"gpt_neox\"") }
        let activation: GELUKind
        switch object["hidden_act"] as? String ?? "gelu" {
        case "gelu": activation = .exact
        case "gelu_new", "gelu_pytorch_tanh": activation = .tanh
        default: throw invalid("hidden_act", "\"gelu\", \"gelu_new\" or \"gelu_pytorch_tanh\"")
        }
        let hidden = try integer("hidden_size")
        let heads = try integer("num_attention_heads")
        guard hidden % heads == 0 else {
            throw invalid("num_attention_heads", "a divisor of hidden_size \(hidden)")
        }
        // transformers 5 writes rope_parameters; Pythia's hub files have rotary_pct / rotary_emb_base.
        let rope = object["rope_parameters"] as? [String: Any] ?? object["rope_scaling"] as? [String: Any] ?? [:]
        let ropeType = rope["rope_type"] as? String ?? rope["type"] as? String ?? "default"
        guard ropeType == "default" else {
            throw NeoXModelError.invalidConfig(path: path, field: "rope_type", found: ropeType, expected: "\"default\" (scaled rotary is not implemented)")
        }
        // Errors name the key the file used: rope_parameters' or the older top-level one.
        let thetaField = rope["rope_theta"] != nil ? "rope_parameters.rope_theta" : "rotary_emb_base"
        let factorField = rope["partial_rotary_factor"] != nil ? "rope_parameters.partial_rotary_factor" : "rotary_pct"
        let theta = rope["rope_theta"] as? Double ?? object["rotary_emb_base"] as? Double ?? 10000
        let factor = rope["partial_rotary_factor"] as? Double ?? object["rotary_pct"] as? Double ?? 0.25
        guard theta > 0 else { throw invalid(thetaField, "a positive number", found: theta) }
        guard factor > 0, factor <= 1 else { throw invalid(factorField, "a fraction in (0, 1]", found: factor) }
        let rotaryWidth = Int(Double(hidden / heads) * factor)  // Python's int(): truncation
        guard rotaryWidth >= 2, rotaryWidth % 2 == 0 else {
            throw invalid(factorField, "a fraction giving an even rotary width of at least 2 floats per head (head width \(hidden / heads) gives \(rotaryWidth))", found: factor)
        }
        let epsilon = object["layer_norm_eps"] as? Double ?? 1e-5
        return NeoXConfig(
            layerCount: try integer("num_hidden_layers"), hiddenWidth: hidden, mlpWidth: try integer("intermediate_size"),
            headCount: heads, vocabularySize: try integer("vocab_size"), maxPositions: try integer("max_position_embeddings"),
            layerNormEpsilon: Float(epsilon), ropeTheta: theta, rotaryWidth: rotaryWidth,
            usesParallelResidual: try flag("use_parallel_residual", default: true),
            attentionBias: try flag("attention_bias", default: true), activation: activation,
            tieWordEmbeddings: try flag("tie_word_embeddings", default: false))
    }

    /// Rotary inverse frequencies over the rotated floats, one per pair, as transformers:
    /// 1 / θ^(2i / rotaryWidth).
    func inverseFrequencies() -> [Double] {
        (0..<(rotaryWidth / 2)).map { 1.0 / pow(ropeTheta, Double(2 * $0) / Double(rotaryWidth)) }
    }
}
