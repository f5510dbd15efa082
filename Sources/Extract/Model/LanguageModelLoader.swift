import Foundation

/// Opens a model directory as the family its config.json's `model_type` names, with its tokenizer.
public enum LanguageModelLoader {
    /// `model_type` values with a forward pass, and the family each runs as.
    public static let supportedModelTypes: [String: ModelFamily] = ["gpt2": .gpt2, "llama": .llama, "mistral": .llama, "qwen2": .llama,
                                                                      "gpt_neox": .gptNeoX, "gemma2": .gemma2]

    /// The model and tokenizer of `files`: GPT-2 with vocab.json + merges.txt; the Llama family
    /// (llama, mistral, qwen2), GPT-NeoX / Pythia (gpt_neox) and Gemma 2 with tokenizer.json. Other `model_type`s are refused naming
    /// config.json, the value, and the ones that run.
    public static func load(files: ModelFiles) throws -> (model: any DecoderLanguageModel, tokenizer: any TextTokenizer) {
        switch try family(files: files) {
        case .llama:
            return (try LlamaModel(directory: files.directory), try HFTokenizer(directory: files.directory))
        case .gptNeoX:
            return (try NeoXModel(directory: files.directory), try HFTokenizer(directory: files.directory))
        case .gemma2:
            return (try Gemma2Model(directory: files.directory), try HFTokenizer(directory: files.directory))
        default:
            return (try GPT2Model(files: files), try GPT2Tokenizer(vocabPath: files.vocabPath, mergesPath: files.mergesPath))
        }
    }

    /// The family `files` would load as (no `model_type`: GPT-2, as older GPT-2 configs have
    /// none), without reading the weights. Throws `LlamaModelError.invalidConfig` for a
    /// `model_type` that does not run, naming config.json, the value and the ones that do.
    public static func family(files: ModelFiles) throws -> ModelFamily {
        let modelType = ModelTokenizer.modelType(directory: files.directory) ?? "gpt2"
        guard let family = supportedModelTypes[modelType] else {
            throw LlamaModelError.invalidConfig(path: files.configPath, field: "model_type", found: modelType,
                                                expected: supportedModelTypes.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return family
    }
}
