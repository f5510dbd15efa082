/// Why a GPT-2 model could not be loaded or run.
public enum GPT2ModelError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read or is not the JSON / safetensors it should be.
    case unreadableFile(path: String, reason: String)
    /// A config field holds a value this implementation does not run.
    case invalidConfig(path: String, field: String, found: String, expected: String)
    /// A tensor the architecture needs is not in the weights file.
    case missingTensor(path: String, name: String, expectedShape: [Int])
    /// A tensor is present but its shape disagrees with config.json.
    case wrongShape(path: String, name: String, expectedShape: [Int], foundShape: [Int])
    /// The weights file holds a tensor the architecture does not use (e.g. more blocks than
    /// config.json's n_layer).
    case unexpectedTensor(path: String, name: String)
    /// A tensor is stored in a type that is not a float type.
    case unsupportedDType(path: String, name: String, dtype: String)
    /// The tokens / batch / sequence length passed to a forward call do not fit the model.
    case invalidInput(reason: String)

    /// One line: the file and field or tensor, what was expected, and a hint (bad forward input
    /// has no file: its line says what did not fit).
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read: \(reason). Hint: a model directory needs config.json and model.safetensors as saved by transformers' save_pretrained."
        case let .invalidConfig(path, field, found, expected):
            return "\(path): field '\(field)' is \(found), expected \(expected). Hint: only GPT-2-architecture models (model_type \"gpt2\") are supported."
        case let .missingTensor(path, name, shape):
            return "\(path): tensor '\(name)' (expected shape \(shape)) is missing. Hint: names may be unprefixed ('h.0.ln_1.weight') or carry 'transformer.'; is this a GPT-2 checkpoint?"
        case let .wrongShape(path, name, expected, found):
            return "\(path): tensor '\(name)' has shape \(found), expected \(expected) from config.json. Hint: config.json and model.safetensors must come from the same checkpoint."
        case let .unexpectedTensor(path, name):
            return "\(path): tensor '\(name)' is not part of a GPT-2 LM with this config.json. Hint: config.json and model.safetensors must come from the same GPT-2 checkpoint (GPT2LMHeadModel or GPT2Model)."
        case let .unsupportedDType(path, name, dtype):
            return "\(path): tensor '\(name)' has dtype \(dtype); expected F32, F16 or BF16."
        case let .invalidInput(reason):
            return "invalid forward input: \(reason)"
        }
    }
}
