import Foundation

/// Opens a model directory as the family its config.json's `model_type` names, with its tokenizer.
public enum LanguageModelLoader {
    /// `model_type` values with a forward pass, and the family each runs as.
    public static let supportedModelTypes: [String: ModelFamily] = ["gpt2": .gpt2, "llama": .llama, "mistral": .llama, "qwen2": .llama]

    /// The model and tokenizer of `files`: GPT-2 with vocab.json + merges.txt, the Llama family
    /// (llama, mistral, qwen2) with tokenizer.json. Other `model_type`s are refused naming
    /// config.json, the value, and the ones that run.
    public static func load(files: ModelFiles) throws -> (model: any DecoderLanguageModel, tokenizer: any TextTokenizer) {
        let modelType = ModelTokenizer.modelType(directory: files.directory) ?? "gpt2"
        switch supportedModelTypes[modelType] {
        case .gpt2?:
            return (try GPT2Model(files: files), try GPT2Tokenizer(vocabPath: files.vocabPath, mergesPath: files.mergesPath))
        case .llama?:
            return (try LlamaModel(directory: files.directory), try HFTokenizer(directory: files.directory))
        default:
            throw LlamaModelError.invalidConfig(path: files.configPath, field: "model_type", found: modelType,
                                                expected: supportedModelTypes.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                                                    + " (gpt_neox and gemma2 are not implemented yet)")
        }
    }
}
