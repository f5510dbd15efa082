import Foundation

/// The config.json fields of a Llama-family decoder (Llama 2/3.x, SmolLM, Mistral, Qwen2/2.5),
/// read as transformers reads them.
public struct LlamaConfig: Equatable, Sendable {
    /// How rotary frequencies are adjusted for long context.
    public enum RopeScaling: Equatable, Sendable {
        /// Plain RoPE: the frequencies `rope_theta` gives (rope_type "default").
        case none
        /// Llama 3.1+: low frequencies divided by `factor`, high ones kept, a smooth blend between.
        case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositions: Double)
    }

    /// config.json's `model_type`: "llama", "qwen2" or "mistral" (all run as `ModelFamily.llama`).
    public var modelType: String
    /// Transformer blocks (L), `num_hidden_layers`.
    public var layerCount: Int
    /// Residual stream width in floats (C), `hidden_size`.
    public var hiddenWidth: Int
    /// SwiGLU hidden width in floats, `intermediate_size`: the width of `mlp.hook_post`.
    public var mlpWidth: Int
    /// Query heads per block, `num_attention_heads`.
    public var headCount: Int
    /// Key/value heads per block (grouped-query attention), `num_key_value_heads`; default `headCount`.
    public var keyValueHeadCount: Int
    /// Floats per head, `head_dim`; default hiddenWidth / headCount.
    public var headWidth: Int
    /// Token ids the embedding holds (V), `vocab_size`.
    public var vocabularySize: Int
    /// Longest sequence in tokens, `max_position_embeddings`; the rotary tables cover this many positions.
    public var maxPositions: Int
    /// Epsilon added to the mean square inside every RMSNorm, `rms_norm_eps` (default 1e-6).
    public var rmsNormEpsilon: Float
    /// Rotary base, `rope_theta` (default 10000; transformers 5 puts it in `rope_parameters`).
    public var ropeTheta: Double
    /// `rope_scaling` / `rope_parameters`: `.none` for rope_type "default", `.llama3` for Llama 3.1+.
    public var ropeScaling: RopeScaling
    /// Biases on the q, k and v projections (Qwen2 always; Llama with `attention_bias`).
    public var attentionBias: Bool
    /// Whether the unembedding is the token embedding, `tie_word_embeddings` (default false, as
    /// transformers' Llama config); when false the weights hold `lm_head.weight`.
    public var tieWordEmbeddings: Bool
    /// Per block, the sliding attention window in tokens (a query reads itself and the window − 1
    /// positions before it), or nil for full causal attention. Mistral: `sliding_window` on every
    /// block; Qwen2 with `use_sliding_window`: the blocks `layer_types` marks
    /// "sliding_attention" (else those from `max_window_layers` on); Llama: none.
    public var slidingWindows: [Int?] = []

    /// Reads config.json; throws `LlamaModelError.invalidConfig` naming the field.
    public static func load(path: String) throws -> LlamaConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LlamaModelError.unreadableFile(path: path, reason: "no such file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LlamaModelError.unreadableFile(path: path, reason: "not a JSON object")
        }
        func invalid(_ field: String, _ expected: String) -> LlamaModelError {
            .invalidConfig(path: path, field: field, found: object[field].map { "\($0)" } ?? "missing", expected: expected)
        }
        func integer(_ field: String, default fallback: Int? = nil) throws -> Int {
            if let value = object[field] as? Int, value > 0 { return value }
            if object[field] == nil || object[field] is NSNull, let fallback { return fallback }
            throw invalid(field, "a positive integer")
        }
        let modelType = object["model_type"] as? String ?? "missing"
        guard ["llama", "qwen2", "mistral"].contains(modelType) else { throw invalid("model_type", "\"llama\", \"qwen2\" or \"mistral\"") }
        let act = object["hidden_act"] as? String ?? "silu"
        guard act == "silu" else { throw invalid("hidden_act", "\"silu\"") }
        if let bias = object["mlp_bias"] as? Bool, bias { throw invalid("mlp_bias", "false") }
        let hidden = try integer("hidden_size")
        let heads = try integer("num_attention_heads")
        // transformers 5 writes rope_parameters (with rope_theta inside); older files rope_theta + rope_scaling.
        let rope = object["rope_parameters"] as? [String: Any] ?? object["rope_scaling"] as? [String: Any] ?? [:]
        let theta = (rope["rope_theta"] as? Double) ?? (object["rope_theta"] as? Double) ?? 10000
        let ropeType = rope["rope_type"] as? String ?? rope["type"] as? String ?? "default"
        let scaling: RopeScaling
        switch ropeType {
        case "default":
            scaling = .none
        case "llama3":
            guard let factor = rope["factor"] as? Double, let low = rope["low_freq_factor"] as? Double,
                  let high = rope["high_freq_factor"] as? Double, let original = rope["original_max_position_embeddings"] as? Double else {
                throw invalid("rope_scaling", "llama3 with factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
            }
            scaling = .llama3(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high, originalMaxPositions: original)
        default:
            throw LlamaModelError.invalidConfig(path: path, field: "rope_type", found: ropeType, expected: "\"default\" or \"llama3\"")
        }
        let epsilon = object["rms_norm_eps"] as? Double ?? 1e-6
        let layerCount = try integer("num_hidden_layers")
        var config = LlamaConfig(
            modelType: modelType, layerCount: layerCount, hiddenWidth: hidden,
            mlpWidth: try integer("intermediate_size"), headCount: heads,
            keyValueHeadCount: try integer("num_key_value_heads", default: heads),
            headWidth: try integer("head_dim", default: hidden / heads), vocabularySize: try integer("vocab_size"),
            maxPositions: try integer("max_position_embeddings"), rmsNormEpsilon: Float(epsilon), ropeTheta: theta,
            ropeScaling: scaling, attentionBias: modelType == "qwen2" || (object["attention_bias"] as? Bool ?? false),
            tieWordEmbeddings: object["tie_word_embeddings"] as? Bool ?? false)
        config.slidingWindows = try windowPerLayer(object, path: path, modelType: modelType, layerCount: layerCount)
        return config
    }

    /// The window of each block as transformers applies it: Mistral's attention passes
    /// `sliding_window` on every block; Qwen2Config drops the window unless `use_sliding_window`
    /// and then slides the blocks `layer_types` names (default: index ≥ `max_window_layers`, 28);
    /// Llama's attention takes no window. A window must be a positive integer or null.
    static func windowPerLayer(_ object: [String: Any], path: String, modelType: String, layerCount: Int) throws -> [Int?] {
        let none = [Int?](repeating: nil, count: layerCount)
        guard modelType != "llama", let raw = object["sliding_window"], !(raw is NSNull) else { return none }
        guard let window = raw as? Int, window > 0 else {
            throw LlamaModelError.invalidConfig(path: path, field: "sliding_window", found: "\(raw)", expected: "a positive integer or null")
        }
        if modelType == "mistral" { return Array(repeating: window, count: layerCount) }
        guard object["use_sliding_window"] as? Bool ?? false else { return none }
        let types = try LayerAttentionTypes.read(object, path: path, layerCount: layerCount) { layer in
            layer >= (object["max_window_layers"] as? Int ?? 28)
        }
        return types.map { $0 ? window : nil }
    }

    /// Rotary inverse frequencies, one per pair of head dimensions, as transformers computes them.
    func inverseFrequencies() -> [Double] {
        let half = headWidth / 2
        let base = (0..<half).map { 1.0 / pow(ropeTheta, Double(2 * $0) / Double(headWidth)) }
        guard case let .llama3(factor, low, high, original) = ropeScaling else { return base }
        let lowWavelength = original / low, highWavelength = original / high
        return base.map { frequency in
            let wavelength = 2 * Double.pi / frequency
            if wavelength < highWavelength { return frequency }
            if wavelength > lowWavelength { return frequency / factor }
            let smooth = (original / wavelength - low) / (high - low)
            return (1 - smooth) * frequency / factor + smooth * frequency
        }
    }
}
