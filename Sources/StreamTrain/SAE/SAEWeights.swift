/// The trainable tensors of an SAE, row-major, named and laid out as SAELens names them.
public struct SAEWeights: Equatable, Sendable {
    /// Encoder weight, shape (dIn, dSAE): pre = x · W_enc + b_enc.
    public var wEnc: [Float]
    /// Encoder bias, shape (dSAE); for the gated SAE this is the gate path's bias, SAELens'
    /// b_gate (gated SAEs have no other encoder bias).
    public var bEnc: [Float]
    /// Decoder weight, shape (dSAE, dIn); empty for the tied SAE, whose decoder is W_encᵀ.
    public var wDec: [Float]
    /// Decoder bias, shape (dIn).
    public var bDec: [Float]
    /// Per-latent threshold θ, shape (dSAE), for the architectures that have one (jumprelu:
    /// trained; batchtopk: the inference threshold); empty otherwise. Not one of `tensors`:
    /// the four SAELens tensors every architecture has.
    public var threshold: [Float]
    /// Gated only: the magnitude path's log-scale per latent, SAELens' r_mag, shape (dSAE):
    /// π_mag = x·(W_enc ⊙ exp(r_mag)) + b_mag. Empty for the other architectures.
    public var rMag: [Float]
    /// Gated only: the magnitude path's bias, SAELens' b_mag, shape (dSAE); empty otherwise.
    public var bMag: [Float]
    /// Skip transcoders only: the skip connection, SAELens' W_skip, shape (dOut, dIn):
    /// ŷ = f · W_dec + b_dec + x · W_skipᵀ. Empty for every other SAE.
    public var wSkip: [Float]

    /// Weights from their tensors; `SparseAutoencoder(…weights:)` checks the sizes.
    public init(wEnc: [Float], bEnc: [Float], wDec: [Float], bDec: [Float], threshold: [Float] = [],
                rMag: [Float] = [], bMag: [Float] = [], wSkip: [Float] = []) {
        self.wEnc = wEnc
        self.bEnc = bEnc
        self.wDec = wDec
        self.bDec = bDec
        self.threshold = threshold
        self.rMag = rMag
        self.bMag = bMag
        self.wSkip = wSkip
    }

    /// All-zero tensors of the right shapes (gradient buffers).
    public init(zerosFor architecture: SAEArchitecture, dIn: Int, dSAE: Int, skipConnection: Bool = false) {
        wEnc = [Float](repeating: 0, count: dIn * dSAE)
        bEnc = [Float](repeating: 0, count: dSAE)
        wDec = architecture.isTied ? [] : [Float](repeating: 0, count: dSAE * dIn)
        bDec = [Float](repeating: 0, count: dIn)
        threshold = architecture.hasThreshold ? [Float](repeating: 0, count: dSAE) : []
        rMag = architecture.isGated ? [Float](repeating: 0, count: dSAE) : []
        bMag = architecture.isGated ? [Float](repeating: 0, count: dSAE) : []
        wSkip = skipConnection ? [Float](repeating: 0, count: dIn * dIn) : []
    }

    /// SAELens tensor names in the order checkpoints and Adam slots use.
    public static let tensorNames = ["W_enc", "b_enc", "W_dec", "b_dec"]

    /// The tensors in `tensorNames` order.
    public var tensors: [[Float]] { [wEnc, bEnc, wDec, bDec] }

    /// Whether every value is finite.
    public var isFinite: Bool {
        wEnc.allSatisfy(\.isFinite) && bEnc.allSatisfy(\.isFinite)
            && wDec.allSatisfy(\.isFinite) && bDec.allSatisfy(\.isFinite) && threshold.allSatisfy(\.isFinite)
            && rMag.allSatisfy(\.isFinite) && bMag.allSatisfy(\.isFinite) && wSkip.allSatisfy(\.isFinite)
    }
}
