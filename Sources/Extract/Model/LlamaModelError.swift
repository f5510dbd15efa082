/// Why a Llama-family model could not be loaded or run.
public enum LlamaModelError: Error, CustomStringConvertible, Equatable {
    /// A file could not be read or is not the JSON / safetensors it should be.
    case unreadableFile(path: String, reason: String)
    /// A config field is missing or holds a value this implementation does not run.
    case invalidConfig(path: String, field: String, found: String, expected: String)
    /// A tensor the architecture needs is in none of the weight files.
    case missingTensor(path: String, name: String, expectedShape: [Int])
    /// A tensor's shape disagrees with config.json.
    case wrongShape(path: String, name: String, expectedShape: [Int], foundShape: [Int])
    /// The weights hold a tensor this architecture does not use.
    case unexpectedTensor(path: String, name: String)
    /// The tokens / batch / sequence length passed to a forward call do not fit the model.
    case invalidInput(reason: String)

    /// One line: the file and field or tensor, what was expected, and a hint (bad forward input
    /// has no file: its line says what did not fit).
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read: \(reason). Hint: a model directory needs config.json and model.safetensors (or model.safetensors.index.json and its shards) as save_pretrained writes them."
        case let .invalidConfig(path, field, found, expected):
            return "\(path): field '\(field)' is \(found), expected \(expected). Hint: docs/MODELS.md lists the Llama-family options saestore runs."
        case let .missingTensor(path, name, shape):
            return "\(path): tensor '\(name)' (expected shape \(shape)) is missing. Hint: is this a LlamaForCausalLM / Qwen2ForCausalLM / MistralForCausalLM / Gemma2ForCausalLM checkpoint?"
        case let .wrongShape(path, name, expected, found):
            return "\(path): tensor '\(name)' has shape \(found), expected \(expected) from config.json. Hint: config.json and the weights must come from the same checkpoint."
        case let .unexpectedTensor(path, name):
            return "\(path): tensor '\(name)' is not part of this architecture with this config.json. Hint: config.json and the weights must come from the same checkpoint."
        case let .invalidInput(reason):
            return "invalid forward input: \(reason)"
        }
    }
}
