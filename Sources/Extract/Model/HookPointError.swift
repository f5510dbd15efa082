/// Why a hook name was refused.
public enum HookPointError: Error, CustomStringConvertible, Equatable {
    /// The name is not one of the SAELens GPT-2 hook names.
    case unknownName(String)
    /// The layer index is past the model's last block.
    case layerOutOfRange(name: String, layer: Int, layerCount: Int)

    /// One line: the refused name and the names or layers that exist.
    public var description: String {
        switch self {
        case let .unknownName(name):
            let sites = HookPoint.Site.allCases.map { "blocks.L.\($0.rawValue)" }.joined(separator: ", ")
            return "unknown hook '\(name)'. Hint: use one of \(sites), with L a block index."
        case let .layerOutOfRange(name, layer, layerCount):
            return "hook '\(name)': layer \(layer) does not exist; the model has \(layerCount) blocks (0...\(layerCount - 1))."
        }
    }
}
