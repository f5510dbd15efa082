/// An SAE: its architecture, sizes and weights. Encoding and decoding for analysis live in
/// `SparseAutoencoder+Encode.swift`, training maths in `SparseAutoencoder+Gradients.swift`.
public struct SparseAutoencoder: Equatable, Sendable {
    /// The family; decides the activation (ReLU or TopK) and whether W_dec is W_encᵀ.
    public let architecture: SAEArchitecture
    /// Input width (floats per row).
    public let dIn: Int
    /// Latent count.
    public let dSAE: Int
    /// Latents kept per row (topk), per row on average in training (batchtopk); 0 for the others.
    public internal(set) var k: Int
    /// Whether b_dec is subtracted from the input before encoding.
    public let applyBDecToInput: Bool
    /// The tensors.
    public internal(set) var weights: SAEWeights
    /// Set for a transcoder: which column it predicts and whether it has a skip connection
    /// (`weights.wSkip`); nil for an SAE, whose target is its input.
    public let transcoder: TranscoderOptions?

    /// Wraps weights made elsewhere; throws `SAEShapeError` when a tensor has the wrong size.
    public init(architecture: SAEArchitecture, dIn: Int, dSAE: Int, k: Int = 0,
                applyBDecToInput: Bool, weights: SAEWeights, transcoder: TranscoderOptions? = nil) throws {
        guard dIn > 0, dSAE > 0 else {
            throw SAEShapeError(tensor: "d_in/d_sae", expected: "positive sizes",
                                found: "d_in \(dIn), d_sae \(dSAE)")
        }
        if architecture.usesK, !(1...dSAE).contains(k) {
            throw SAEShapeError(tensor: "k", expected: "1...\(dSAE)", found: "\(k)")
        }
        let expected: [(String, Int, Int)] = [
            ("W_enc", weights.wEnc.count, dIn * dSAE),
            ("b_enc", weights.bEnc.count, dSAE),
            ("W_dec", weights.wDec.count, architecture.isTied ? 0 : dSAE * dIn),
            ("b_dec", weights.bDec.count, dIn),
            ("threshold", weights.threshold.count, architecture.hasThreshold ? dSAE : 0),
            ("r_mag", weights.rMag.count, architecture.isGated ? dSAE : 0),
            ("b_mag", weights.bMag.count, architecture.isGated ? dSAE : 0),
            ("W_skip", weights.wSkip.count, transcoder?.skipConnection == true ? dIn * dIn : 0),
        ]
        for (name, found, want) in expected where found != want {
            throw SAEShapeError(tensor: name, expected: "\(want) values", found: "\(found) values")
        }
        self.architecture = architecture
        self.dIn = dIn
        self.dSAE = dSAE
        self.k = architecture.usesK ? k : 0
        self.applyBDecToInput = applyBDecToInput
        self.weights = weights
        self.transcoder = transcoder
    }

    /// A freshly initialised SAE for `config` (deterministic from `config.seed`; docs/SAE.md).
    public init(config: SAEConfig) throws {
        try config.validate()
        var generator = SeededGenerator(seed: config.seed)
        let weights = SparseAutoencoder.initialWeights(config: config, generator: &generator)
        try self.init(architecture: config.architecture, dIn: config.dIn,
                      dSAE: config.latentCount, k: config.k,
                      applyBDecToInput: config.applyBDecToInput, weights: weights,
                      transcoder: config.transcoder)
    }

    /// The decoder as a (dSAE, dIn) matrix, materialised (W_encᵀ for the tied SAE).
    public var decoderMatrix: [Float] {
        guard architecture.isTied else { return weights.wDec }
        var out = [Float](repeating: 0, count: dSAE * dIn)
        for c in 0..<dIn {
            for j in 0..<dSAE { out[j * dIn + c] = weights.wEnc[c * dSAE + j] }
        }
        return out
    }
}
