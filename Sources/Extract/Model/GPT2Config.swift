import Foundation

/// The fields of a Hugging Face GPT-2 `config.json` that decide the forward pass.
///
/// Decoding reads the HF key names; unknown keys are ignored so any transformers
/// version's file loads. `validate()` then refuses what `GPT2Model` cannot run exactly.
public struct GPT2Config: Codable, Equatable, Sendable {
    /// Number of transformer blocks (L).
    public var layerCount: Int
    /// Attention heads per block (NH).
    public var headCount: Int
    /// Residual stream width in floats (C).
    public var embeddingWidth: Int
    /// Longest sequence the position embedding covers, in tokens (`n_positions`, older files `n_ctx`).
    public var maxPositions: Int
    /// Vocabulary size in tokens (V).
    public var vocabularySize: Int
    /// Epsilon added to the variance inside every LayerNorm (unitless).
    public var layerNormEpsilon: Float
    /// MLP nonlinearity name as transformers spells it (`gelu_new`, `gelu_pytorch_tanh`, `gelu`).
    public var activationFunction: String
    /// MLP hidden width in floats; `nil` in the file means 4 × C.
    public var innerWidth: Int?
    /// Architecture tag; must be `gpt2`.
    public var modelType: String
    /// Whether attention scores are divided by sqrt(head width) (HF default true).
    public var scaleAttentionWeights: Bool
    /// Whether attention scores of block l are further divided by l + 1 (HF default false).
    public var scaleAttentionByInverseLayerIndex: Bool
    /// Whether the unembedding is the token embedding (HF default true); if false the
    /// weights file must hold `lm_head.weight`.
    public var tieWordEmbeddings: Bool

    /// Every field given; the defaults are gpt2's and transformers' (eps 1e-5, gelu_new, 4C MLP,
    /// tied unembedding). Not validated: `GPT2Model.init` and `load(path:)` check the config.
    public init(layerCount: Int, headCount: Int, embeddingWidth: Int, maxPositions: Int,
                vocabularySize: Int, layerNormEpsilon: Float = 1e-5,
                activationFunction: String = "gelu_new", innerWidth: Int? = nil,
                modelType: String = "gpt2", scaleAttentionWeights: Bool = true,
                scaleAttentionByInverseLayerIndex: Bool = false, tieWordEmbeddings: Bool = true) {
        self.layerCount = layerCount
        self.headCount = headCount
        self.embeddingWidth = embeddingWidth
        self.maxPositions = maxPositions
        self.vocabularySize = vocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.activationFunction = activationFunction
        self.innerWidth = innerWidth
        self.modelType = modelType
        self.scaleAttentionWeights = scaleAttentionWeights
        self.scaleAttentionByInverseLayerIndex = scaleAttentionByInverseLayerIndex
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    /// gpt2 (124M) as published by OpenAI / on the hub.
    public static let gpt2Small = GPT2Config(layerCount: 12, headCount: 12, embeddingWidth: 768,
                                             maxPositions: 1024, vocabularySize: 50257)

    enum CodingKeys: String, CodingKey {
        case layerCount = "n_layer"
        case headCount = "n_head"
        case embeddingWidth = "n_embd"
        case maxPositions = "n_positions"
        case context = "n_ctx"
        case vocabularySize = "vocab_size"
        case layerNormEpsilon = "layer_norm_epsilon"
        case activationFunction = "activation_function"
        case innerWidth = "n_inner"
        case modelType = "model_type"
        case scaleAttentionWeights = "scale_attn_weights"
        case scaleAttentionByInverseLayerIndex = "scale_attn_by_inverse_layer_idx"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    /// Reads the HF key names (`n_layer`, `n_head`, `n_embd`, `n_positions` or else `n_ctx`,
    /// `vocab_size` required); a missing optional key takes the default `init` gives it.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        embeddingWidth = try c.decode(Int.self, forKey: .embeddingWidth)
        if let positions = try c.decodeIfPresent(Int.self, forKey: .maxPositions) {
            maxPositions = positions
        } else {
            maxPositions = try c.decode(Int.self, forKey: .context)
        }
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? "gelu_new"
        innerWidth = try c.decodeIfPresent(Int.self, forKey: .innerWidth)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "gpt2"
        scaleAttentionWeights = try c.decodeIfPresent(Bool.self, forKey: .scaleAttentionWeights) ?? true
        scaleAttentionByInverseLayerIndex =
            try c.decodeIfPresent(Bool.self, forKey: .scaleAttentionByInverseLayerIndex) ?? false
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
    }

    /// Writes the HF key names, every field present (`n_inner` as null when nil), so the file
    /// reads back into an equal config.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(embeddingWidth, forKey: .embeddingWidth)
        try c.encode(maxPositions, forKey: .maxPositions)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(activationFunction, forKey: .activationFunction)
        try c.encode(innerWidth, forKey: .innerWidth)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(scaleAttentionWeights, forKey: .scaleAttentionWeights)
        try c.encode(scaleAttentionByInverseLayerIndex, forKey: .scaleAttentionByInverseLayerIndex)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
    }

    /// Reads and validates `config.json`.
    public static func load(path: String) throws -> GPT2Config {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw GPT2ModelError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        let config: GPT2Config
        do {
            config = try JSONDecoder().decode(GPT2Config.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw GPT2ModelError.unreadableFile(path: path, reason: "required field '\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw GPT2ModelError.unreadableFile(path: path, reason: "field '\(field)' has the wrong type: \(context.debugDescription)")
        } catch {
            throw GPT2ModelError.unreadableFile(path: path, reason: "not a GPT-2 config.json (\(error))")
        }
        try config.validate(path: path)
        return config
    }

    /// MLP hidden width in floats (`n_inner`, or 4 × C when absent).
    public var mlpWidth: Int { innerWidth ?? 4 * embeddingWidth }

    /// Floats per attention head (C / NH).
    public var headWidth: Int { embeddingWidth / headCount }

    /// The MLP nonlinearity this config asks for.
    var activation: GELUKind {
        switch activationFunction {
        case "gelu": return .exact
        default: return .tanh
        }
    }

    /// Activation names accepted, and the form each computes.
    static let supportedActivations = ["gelu_new", "gelu_pytorch_tanh", "gelu"]

    /// Largest n_embd, n_inner, n_positions and vocab_size accepted (2^24, 16 Mi; today's largest
    /// models are below 2^18): every parameter's element count (3·C², V·C, C·n_inner) then fits
    /// in Int, so a crafted config.json is refused here instead of overflowing a shape product.
    static let maxDimension = 1 << 24
    /// Largest n_layer and n_head accepted.
    static let maxCount = 1 << 16

    /// Throws `GPT2ModelError.invalidConfig` naming `path` and the offending field.
    public func validate(path: String = "config.json") throws {
        func fail(_ field: String, _ found: String, _ expected: String) -> GPT2ModelError {
            .invalidConfig(path: path, field: field, found: found, expected: expected)
        }
        guard modelType == "gpt2" else { throw fail("model_type", "\"\(modelType)\"", "\"gpt2\"") }
        guard Self.supportedActivations.contains(activationFunction) else {
            throw fail("activation_function", "\"\(activationFunction)\"",
                       "one of \(Self.supportedActivations.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        let dimensions = "1...\(Self.maxDimension)"
        guard (1...Self.maxCount).contains(layerCount) else { throw fail("n_layer", "\(layerCount)", "1...\(Self.maxCount)") }
        guard (1...Self.maxCount).contains(headCount) else { throw fail("n_head", "\(headCount)", "1...\(Self.maxCount)") }
        guard (1...Self.maxDimension).contains(embeddingWidth) else { throw fail("n_embd", "\(embeddingWidth)", dimensions) }
        guard embeddingWidth % headCount == 0 else {
            throw fail("n_embd", "\(embeddingWidth)", "a multiple of n_head (\(headCount))")
        }
        guard (1...Self.maxDimension).contains(maxPositions) else { throw fail("n_positions", "\(maxPositions)", dimensions) }
        guard (1...Self.maxDimension).contains(vocabularySize) else { throw fail("vocab_size", "\(vocabularySize)", dimensions) }
        if let innerWidth, !(1...Self.maxDimension).contains(innerWidth) { throw fail("n_inner", "\(innerWidth)", "null or \(dimensions)") }
        guard layerNormEpsilon.isFinite, layerNormEpsilon >= 0 else {
            throw fail("layer_norm_epsilon", "\(layerNormEpsilon)", "a finite number >= 0")
        }
    }
}
