/// Decoder-LM architectures, named by config.json's `model_type`, with the hook sites
/// TransformerLens gives each (the names SAELens, Gemma Scope and Neuronpedia use).
public enum ModelFamily: String, CaseIterable, Codable, Sendable {
    /// GPT-2 (`model_type` "gpt2"): `GPT2Model`.
    case gpt2
    /// Llama and the families run as it (`model_type` "llama", "mistral", "qwen2"): `LlamaModel`.
    case llama
    /// GPT-NeoX / Pythia (`model_type` "gpt_neox"): `NeoXModel`.
    case gptNeoX = "gpt_neox"
    /// Gemma 2 (`model_type` "gemma2"): `Gemma2Model`.
    case gemma2

    /// Sites TransformerLens hooks in every block of this family. GPT-NeoX models with
    /// `use_parallel_residual` (all of Pythia) add attention and MLP outputs to the same
    /// residual, so there is no `hook_resid_mid` between them (a sequential-residual NeoX model
    /// adds it: `NeoXModel.hookSites`). The ln hooks are the norm's output with its weight (and
    /// bias) applied, as transformers computes it (TransformerLens with fold_ln=False).
    public var transformerLensSites: [HookPoint.Site] {
        switch self {
        case .gpt2:
            return [.residPre, .ln1Normalized, .attnOut, .residMid, .ln2Normalized, .mlpPost, .mlpOut, .residPost]
        case .llama:
            return [.residPre, .ln1Normalized, .attnOut, .residMid, .ln2Normalized, .mlpPost, .mlpOut, .residPost]
        case .gemma2:
            return [.residPre, .attnOut, .residMid, .mlpPost, .mlpOut, .residPost]
        case .gptNeoX:
            return [.residPre, .ln1Normalized, .attnOut, .ln2Normalized, .mlpPost, .mlpOut, .residPost]
        }
    }
}

/// A decoder-only language model whose activations saestore can read at named hook points.
///
/// GPT-2 is the implementation today (`GPT2Model`); other families plug in here, and callers
/// (ingest, evaluation) go through `hookPoint(named:)` so a hook the family lacks is refused
/// with the list of those it has.
public protocol DecoderLanguageModel: AnyObject {
    /// The architecture, as config.json's `model_type` names it.
    var family: ModelFamily { get }
    /// Number of transformer blocks.
    var layerCount: Int { get }
    /// Number of token ids the embedding holds.
    var vocabularySize: Int { get }
    /// Longest sequence the model accepts.
    var maxSequenceLength: Int { get }
    /// Hook sites this model can read in every block, in forward order.
    var hookSites: [HookPoint.Site] { get }
    /// Floats per token at `hook`.
    func width(of hook: HookPoint) -> Int
    /// Activations at `hooks` for `tokens` (B·T ids, row-major); each a row-major (B,T,width) array.
    func activations(tokens: [UInt32], batch: Int, sequenceLength: Int, hooks: [HookPoint]) throws -> [HookPoint: [Float]]
    /// Activations at `hooks` for sequences packed back to back (`tokens` holds Σ sequenceLengths
    /// ids, each sequence at positions 0..<T): each a row-major (ΣT, width) array.
    func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]]
    /// Mean next-token cross-entropy in nats/token over positions 0..<T-1 of every sequence.
    func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float
}

extension DecoderLanguageModel {
    /// Every hook name this model has, in forward order (`blocks.0.hook_resid_pre`, …).
    public var hookNames: [String] {
        (0..<layerCount).flatMap { layer in hookSites.map { HookPoint(layer: layer, site: $0).description } }
    }

    /// Parses a TransformerLens hook name and checks that this model has it: the site in its
    /// family, the layer in range. Errors name the sites the family has.
    public func hookPoint(named name: String) throws -> HookPoint {
        let hook: HookPoint
        do {
            hook = try HookPoint(parsing: name)
        } catch {
            throw ModelFamilyError.unknownName(name: name, family: family, available: hookSites)
        }
        guard hookSites.contains(hook.site) else {
            throw ModelFamilyError.hookNotInFamily(name: name, family: family, available: hookSites)
        }
        guard hook.layer < layerCount else {
            throw HookPointError.layerOutOfRange(name: name, layer: hook.layer, layerCount: layerCount)
        }
        return hook
    }
}

/// Why a hook was refused for a model family.
public enum ModelFamilyError: Error, CustomStringConvertible, Equatable {
    /// Not a hook name at all.
    case unknownName(name: String, family: ModelFamily, available: [HookPoint.Site])
    /// A real hook name, but not one this family has.
    case hookNotInFamily(name: String, family: ModelFamily, available: [HookPoint.Site])

    /// One line: the refused hook and, as a hint, the `blocks.L.…` names the family has.
    public var description: String {
        switch self {
        case let .unknownName(name, family, available):
            return "unknown hook '\(name)'. Hint: a \(family.rawValue) model has \(Self.list(available)), with L a block index."
        case let .hookNotInFamily(name, family, available):
            return "hook '\(name)': a \(family.rawValue) model has no \(name.split(separator: ".", maxSplits: 2).last ?? "") site. Hint: it has \(Self.list(available)), with L a block index."
        }
    }

    private static func list(_ sites: [HookPoint.Site]) -> String {
        sites.map { "blocks.L.\($0.rawValue)" }.joined(separator: ", ")
    }
}
