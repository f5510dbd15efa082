import Foundation

/// The keys a query reads in causal attention: all earlier positions, or only the last `window`
/// of them (sliding-window attention: Mistral, Qwen2 with `use_sliding_window`, Gemma 2's local
/// layers). Shared by the plain reference loops and the BLAS kernels of every family.
enum AttentionWindow {
    /// The first key position query position `t` reads. With a window of w it is t − w + 1 (never
    /// below 0): transformers' sliding mask keeps `kv_idx > q_idx − sliding_window`, so a query
    /// sees itself and the w − 1 positions before it, w keys in all. `nil`: full causal (key 0).
    static func firstKeyPosition(queryPosition t: Int, window: Int?) -> Int {
        guard let window else { return 0 }
        return max(0, t - window + 1)
    }
}

/// config.json's `layer_types` ("sliding_attention" / "full_attention" per block), read the same
/// way for Qwen2 and Gemma 2, which both write it (transformers ≥ 4.53).
enum LayerAttentionTypes {
    /// Per block, whether it slides: from `layer_types` when present (its length must be
    /// `num_hidden_layers`), else from `fallback(layerIndex)`, the family's default rule. Throws
    /// `LlamaModelError.invalidConfig` naming the file and the field for any other value.
    static func read(_ object: [String: Any], path: String, layerCount: Int, fallback: (Int) -> Bool) throws -> [Bool] {
        guard let raw = object["layer_types"], !(raw is NSNull) else { return (0..<layerCount).map(fallback) }
        let expected = "\(layerCount) entries (num_hidden_layers), each \"sliding_attention\" or \"full_attention\""
        guard let types = raw as? [String], types.count == layerCount,
              types.allSatisfy({ $0 == "sliding_attention" || $0 == "full_attention" }) else {
            throw LlamaModelError.invalidConfig(path: path, field: "layer_types", found: "\(raw)", expected: expected)
        }
        return types.map { $0 == "sliding_attention" }
    }
}
