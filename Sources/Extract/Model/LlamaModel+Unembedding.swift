import Foundation

/// The unembedding of a Llama-family directory without building the model, for logit effects.
extension LlamaModel {
    /// config.json and the (V, C) unembedding in f32 (from F32, F16 or BF16): `lm_head.weight`,
    /// or `model.embed_tokens.weight` when `tie_word_embeddings`, from `model.safetensors` or the
    /// shard `model.safetensors.index.json` names. The final RMSNorm's weight is not applied: the
    /// matrix is the one `lm_head` multiplies. Throws `LlamaModelError` naming the file and tensor.
    public static func unembedding(directory: String) throws -> (config: LlamaConfig, matrix: [Float]) {
        let config = try LlamaConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        return (config, try LlamaWeights.unembedding(directory: directory, tieWordEmbeddings: config.tieWordEmbeddings,
                                                     shape: [config.vocabularySize, config.hiddenWidth]))
    }
}
