/// A place in the GPT-2 forward pass whose activation can be read or replaced,
/// named as TransformerLens / SAELens name it (`blocks.6.hook_resid_pre`).
public struct HookPoint: Hashable, Codable, Comparable, CustomStringConvertible, Sendable {
    /// Where inside a block the activation is taken.
    public enum Site: String, CaseIterable, Codable, Sendable {
        /// Residual stream entering the block (before ln_1).
        case residPre = "hook_resid_pre"
        /// ln_1's output, the attention's input: normalized with the norm's weight (and bias)
        /// applied, as transformers computes it (TransformerLens with fold_ln=False).
        case ln1Normalized = "ln1.hook_normalized"
        /// ln_2's output, the MLP's input (what transcoders read), weight and bias applied.
        case ln2Normalized = "ln2.hook_normalized"
        /// Residual stream after the attention output is added (before ln_2).
        case residMid = "hook_resid_mid"
        /// Residual stream leaving the block (= next block's resid_pre).
        case residPost = "hook_resid_post"
        /// Attention output after c_proj, before it is added to the residual.
        case attnOut = "hook_attn_out"
        /// MLP output after c_proj, before it is added to the residual.
        case mlpOut = "hook_mlp_out"
        /// MLP neurons: the GELU output, width n_inner.
        case mlpPost = "mlp.hook_post"

        /// Order in which the forward pass reaches the site within one block.
        var stage: Int {
            switch self {
            case .residPre: return 0
            case .ln1Normalized: return 1
            case .attnOut: return 2
            case .residMid: return 3
            case .ln2Normalized: return 4
            case .mlpPost: return 5
            case .mlpOut: return 6
            case .residPost: return 7
            }
        }
    }

    /// Block index, 0-based.
    public var layer: Int
    /// Which activation in the block (resid_pre, attn_out, mlp.hook_post, …).
    public var site: Site

    /// The hook at `site` of block `layer`; not checked against a model (see `validate(for:)`).
    public init(layer: Int, site: Site) {
        self.layer = layer
        self.site = site
    }

    /// Parses an SAELens hook name such as `blocks.6.hook_resid_pre` or `blocks.3.mlp.hook_post`.
    public init(parsing name: String) throws {
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blocks" else {
            throw HookPointError.unknownName(name)
        }
        guard let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1] else {
            throw HookPointError.unknownName(name)
        }
        guard let site = Site(rawValue: String(parts[2])) else {
            throw HookPointError.unknownName(name)
        }
        self.init(layer: layer, site: site)
    }

    /// Parses and checks the layer against `config`.
    public init(parsing name: String, config: GPT2Config) throws {
        try self.init(parsing: name)
        try validate(for: config)
    }

    /// The TransformerLens name, `blocks.{layer}.{site}` (e.g. `blocks.6.hook_resid_pre`).
    public var description: String { "blocks.\(layer).\(site.rawValue)" }

    /// Floats per token at this hook.
    public func width(_ config: GPT2Config) -> Int {
        site == .mlpPost ? config.mlpWidth : config.embeddingWidth
    }

    /// Throws if the layer does not exist in `config`.
    public func validate(for config: GPT2Config) throws {
        guard layer < config.layerCount else {
            throw HookPointError.layerOutOfRange(name: description, layer: layer, layerCount: config.layerCount)
        }
    }

    /// Forward order: earlier layers first, then the order sites are reached within a block.
    public static func < (a: HookPoint, b: HookPoint) -> Bool {
        (a.layer, a.site.stage) < (b.layer, b.site.stage)
    }

    /// The last block whose computation the hook depends on; -1 for blocks.0.hook_resid_pre
    /// (only the embeddings).
    var lastLayerNeeded: Int { site == .residPre ? layer - 1 : layer }

    /// Decodes the TransformerLens name string; throws `HookPointError.unknownName` for others.
    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: name)
    }

    /// Encodes as the TransformerLens name string (`description`), so JSON holds hooks as users write them.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
