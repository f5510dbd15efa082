/// One transformer block's parameters, in Hugging Face's Conv1D layout (y = xW + b,
/// W stored (in, out) row-major), all f32.
public struct GPT2LayerWeights: Sendable {
    /// `ln_1.weight`, `ln_1.bias`: (C)
    public var ln1Weight: [Float]
    /// `ln_1.bias`: (C).
    public var ln1Bias: [Float]
    /// `attn.c_attn.weight`: (C, 3C), columns q | k | v; `attn.c_attn.bias`: (3C)
    public var qkvWeight: [Float]
    /// `attn.c_attn.bias`: (3C), q | k | v.
    public var qkvBias: [Float]
    /// `attn.c_proj.weight`: (C, C); `attn.c_proj.bias`: (C)
    public var attnProjWeight: [Float]
    /// `attn.c_proj.bias`: (C).
    public var attnProjBias: [Float]
    /// `ln_2.weight`, `ln_2.bias`: (C)
    public var ln2Weight: [Float]
    /// `ln_2.bias`: (C).
    public var ln2Bias: [Float]
    /// `mlp.c_fc.weight`: (C, 4C); `mlp.c_fc.bias`: (4C)  (4C = n_inner)
    public var fcWeight: [Float]
    /// `mlp.c_fc.bias`: (H), H = n_inner (4C by default).
    public var fcBias: [Float]
    /// `mlp.c_proj.weight`: (4C, C); `mlp.c_proj.bias`: (C)
    public var fcProjWeight: [Float]
    /// `mlp.c_proj.bias`: (C).
    public var fcProjBias: [Float]

    /// Every parameter given, in the shapes above; `GPT2Model.init(config:weights:)` checks the sizes.
    public init(ln1Weight: [Float], ln1Bias: [Float], qkvWeight: [Float], qkvBias: [Float],
                attnProjWeight: [Float], attnProjBias: [Float], ln2Weight: [Float], ln2Bias: [Float],
                fcWeight: [Float], fcBias: [Float], fcProjWeight: [Float], fcProjBias: [Float]) {
        self.ln1Weight = ln1Weight
        self.ln1Bias = ln1Bias
        self.qkvWeight = qkvWeight
        self.qkvBias = qkvBias
        self.attnProjWeight = attnProjWeight
        self.attnProjBias = attnProjBias
        self.ln2Weight = ln2Weight
        self.ln2Bias = ln2Bias
        self.fcWeight = fcWeight
        self.fcBias = fcBias
        self.fcProjWeight = fcProjWeight
        self.fcProjBias = fcProjBias
    }

    /// (suffix of the HF tensor name, expected shape, key path) for every parameter.
    static func parameters(_ config: GPT2Config)
        -> [(name: String, shape: [Int], keyPath: WritableKeyPath<GPT2LayerWeights, [Float]>)] {
        let C = config.embeddingWidth, H = config.mlpWidth
        return [
            ("ln_1.weight", [C], \.ln1Weight), ("ln_1.bias", [C], \.ln1Bias),
            ("attn.c_attn.weight", [C, 3 * C], \.qkvWeight), ("attn.c_attn.bias", [3 * C], \.qkvBias),
            ("attn.c_proj.weight", [C, C], \.attnProjWeight), ("attn.c_proj.bias", [C], \.attnProjBias),
            ("ln_2.weight", [C], \.ln2Weight), ("ln_2.bias", [C], \.ln2Bias),
            ("mlp.c_fc.weight", [C, H], \.fcWeight), ("mlp.c_fc.bias", [H], \.fcBias),
            ("mlp.c_proj.weight", [H, C], \.fcProjWeight), ("mlp.c_proj.bias", [C], \.fcProjBias),
        ]
    }

    /// A block with every parameter empty, filled in by the loaders.
    static var empty: GPT2LayerWeights {
        GPT2LayerWeights(ln1Weight: [], ln1Bias: [], qkvWeight: [], qkvBias: [], attnProjWeight: [],
                         attnProjBias: [], ln2Weight: [], ln2Bias: [], fcWeight: [], fcBias: [],
                         fcProjWeight: [], fcProjBias: [])
    }
}
