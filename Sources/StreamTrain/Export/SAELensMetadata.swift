/// What SAELens' cfg.json `metadata` says about where an SAE's activations came from. Fields
/// left nil are not written: an export states only what is known to be true.
public struct SAELensMetadata: Equatable, Sendable {
    /// TransformerLens model name, e.g. "gpt2".
    public var modelName: String?
    /// Hook, e.g. "blocks.6.hook_resid_pre".
    public var hookName: String?
    /// Layer of the hook (older SAELens configs and dashboards read it).
    public var hookLayer: Int?
    /// Tokens per context window the activations were taken with.
    public var contextSize: Int?
    /// Whether each context started with BOS.
    public var prependBos: Bool?
    /// The corpus (path or dataset id).
    public var datasetPath: String?

    /// Metadata with the given fields; nil fields are left out of cfg.json.
    public init(modelName: String? = nil, hookName: String? = nil, hookLayer: Int? = nil,
                contextSize: Int? = nil, prependBos: Bool? = nil, datasetPath: String? = nil) {
        self.modelName = modelName
        self.hookName = hookName
        self.hookLayer = hookLayer ?? hookName.flatMap(SAELensMetadata.layer(ofHook:))
        self.contextSize = contextSize
        self.prependBos = prependBos
        self.datasetPath = datasetPath
    }

    /// L of a TransformerLens hook name "blocks.L.…".
    public static func layer(ofHook hook: String) -> Int? {
        let parts = hook.split(separator: ".")
        guard parts.count >= 2, parts[0] == "blocks" else { return nil }
        return Int(parts[1])
    }

    /// The set fields as cfg.json values, under SAELens' key names.
    var jsonObject: [String: Any] {
        var out: [String: Any] = [:]
        if let modelName { out["model_name"] = modelName }
        if let hookName { out["hook_name"] = hookName }
        if let hookLayer { out["hook_layer"] = hookLayer }
        if let contextSize { out["context_size"] = contextSize }
        if let prependBos { out["prepend_bos"] = prependBos }
        if let datasetPath { out["dataset_path"] = datasetPath }
        return out
    }

    /// Reads the keys from a cfg.json object (nested `metadata` wins over top-level keys,
    /// which pre-6.0 SAELens configs use).
    init(cfg: [String: Any]) {
        let nested = cfg["metadata"] as? [String: Any] ?? [:]
        func value(_ key: String) -> Any? { nested[key] ?? cfg[key] }
        self.init(modelName: value("model_name") as? String, hookName: value("hook_name") as? String,
                  hookLayer: value("hook_layer") as? Int, contextSize: value("context_size") as? Int,
                  prependBos: value("prepend_bos") as? Bool, datasetPath: value("dataset_path") as? String)
    }
}
