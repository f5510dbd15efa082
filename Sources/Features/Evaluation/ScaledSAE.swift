import StreamTrain

/// The SAE as the evaluation runs it on raw activations: rows are multiplied by the
/// normalisation scale s before encoding and reconstructions divided by s after decoding
/// (s = 1 for SAEs that take raw rows, which every saestore export does).
struct ScaledSAE {
    let scale: Float
    private var encoder: SAEEncoder
    private let maxRowCount: Int
    private var scaled: [Float] = []
    private var latentPart: [Float] = []
    private var reconstructionPart: [Float] = []

    init(sae: SparseAutoencoder, scale: Float, maxRowCount: Int) {
        self.scale = scale
        self.maxRowCount = max(maxRowCount, 1)
        encoder = SAEEncoder(sae: sae, maxRowCount: self.maxRowCount)
    }

    var sae: SparseAutoencoder { encoder.sae }

    /// f (rows, d_sae) and x̂ (rows, d_in) of `rowCount` rows of `rows`.
    mutating func run(_ rows: [Float], rowCount: Int, latents: inout [Float], reconstruction: inout [Float]) {
        let C = sae.dIn, H = sae.dSAE
        latents = [Float](repeating: 0, count: rowCount * H)
        reconstruction = [Float](repeating: 0, count: rowCount * C)
        var start = 0
        while start < rowCount {
            let count = min(maxRowCount, rowCount - start)
            scaled = Array(rows[(start * C)..<((start + count) * C)])
            if scale != 1 { for i in scaled.indices { scaled[i] *= scale } }
            encoder.encode(scaled, rowCount: count, into: &latentPart)
            encoder.reconstruct(scaled, rowCount: count, into: &reconstructionPart)
            if scale != 1 { for i in reconstructionPart.indices { reconstructionPart[i] /= scale } }
            latents.replaceSubrange((start * H)..<((start + count) * H), with: latentPart)
            reconstruction.replaceSubrange((start * C)..<((start + count) * C), with: reconstructionPart)
            start += count
        }
    }

    /// s = √d_in / mean‖x‖ over `rows` (Anthropic's / SAELens' `expected_average_only_in`).
    static func estimateScale(rows: [Float], rowCount: Int, dIn: Int) -> Float? {
        var normSum = 0.0
        for r in 0..<rowCount {
            var squares = 0.0
            for c in 0..<dIn { squares += Double(rows[r * dIn + c]) * Double(rows[r * dIn + c]) }
            normSum += squares.squareRoot()
        }
        guard rowCount > 0, normSum > 0 else { return nil }
        return Float(Double(dIn).squareRoot() / (normSum / Double(rowCount)))
    }
}
