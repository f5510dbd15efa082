import Foundation

/// The unembedding of a GPT-NeoX directory without building the model, for logit effects.
extension NeoXModel {
    /// config.json and the (V, C) unembedding in f32 (from F32, F16 or BF16): `embed_out.weight`
    /// (Pythia's hub name) or `lm_head.weight` (what transformers 5 saves), or
    /// `gpt_neox.embed_in.weight` when `tie_word_embeddings`, from `model.safetensors` or the
    /// shard `model.safetensors.index.json` names. The final LayerNorm is not applied: the matrix
    /// is the one the head multiplies. Throws `NeoXModelError` naming the file and tensor.
    public static func unembedding(directory: String) throws -> (config: NeoXConfig, matrix: [Float]) {
        let config = try NeoXConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        return (config, try NeoXWeights.unembedding(directory: directory, config: config))
    }
}
