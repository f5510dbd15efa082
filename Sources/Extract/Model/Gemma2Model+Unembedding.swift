import Foundation

/// The unembedding of a Gemma 2 directory without building the model, for logit effects.
extension Gemma2Model {
    /// config.json and the (V, C) unembedding in f32 (from F32, F16 or BF16):
    /// `model.embed_tokens.weight` when `tie_word_embeddings` (every released Gemma 2), else
    /// `lm_head.weight`, from `model.safetensors` or the shard the index names. Neither the final
    /// (1 + w) RMSNorm nor the final soft-cap is applied: the matrix is the one the logits
    /// multiply. Throws `LlamaModelError` naming the file and tensor.
    public static func unembedding(directory: String) throws -> (config: Gemma2Config, matrix: [Float]) {
        let config = try Gemma2Config.load(path: (directory as NSString).appendingPathComponent("config.json"))
        return (config, try LlamaWeights.unembedding(directory: directory, tieWordEmbeddings: config.tieWordEmbeddings,
                                                     shape: [config.vocabularySize, config.hiddenWidth]))
    }
}
