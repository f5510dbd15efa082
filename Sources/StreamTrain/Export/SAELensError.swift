/// Problems reading or writing an SAELens-format SAE directory.
public enum SAELensError: Error, CustomStringConvertible, Equatable {
    /// cfg.json or sae_weights.safetensors is absent or unreadable.
    case missingFile(path: String, detail: String)
    /// A cfg.json key is absent or has the wrong type/value.
    case badConfig(path: String, key: String, expected: String, found: String)
    /// The SAE uses something this loader does not implement.
    case unsupported(path: String, what: String)
    /// A weight tensor is absent.
    case missingTensor(path: String, tensor: String, present: [String])
    /// A weight tensor has the wrong shape.
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])

    /// The message with the path, what was expected and what was found.
    public var description: String {
        switch self {
        case let .missingFile(path, detail):
            return "\(path): \(detail). Hint: an SAELens SAE directory holds cfg.json and sae_weights.safetensors."
        case let .badConfig(path, key, expected, found):
            return "\(path): key \"\(key)\" should be \(expected), found \(found)."
        case let .unsupported(path, what):
            return "\(path): \(what) is not supported. Hint: saestore loads SAELens \"standard\", \"topk\", \"jumprelu\" and \"gated\" SAEs."
        case let .missingTensor(path, tensor, present):
            return "\(path): no tensor \"\(tensor)\"; present: \(present.sorted().joined(separator: ", "))."
        case let .shapeMismatch(path, tensor, expected, found):
            return "\(path): tensor \(tensor) has shape \(found), expected \(expected) from d_in/d_sae in cfg.json."
        }
    }
}
