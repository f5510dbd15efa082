import SAELoading
import StreamTrain

/// The SAE as the evaluation runs it on raw activations, `maxRowCount` rows per encoder call.
/// Any normalisation scale is already folded into its weights (`SAESource.runnable`), so rows
/// go in and reconstructions come out in the store's units.
struct BlockSAE {
    private var encoder: SAEEncoder
    private let maxRowCount: Int
    private var part: [Float] = []
    private var latentPart: [Float] = []
    private var reconstructionPart: [Float] = []

    init(sae: SparseAutoencoder, maxRowCount: Int) {
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
            part = Array(rows[(start * C)..<((start + count) * C)])
            encoder.encode(part, rowCount: count, into: &latentPart)
            encoder.reconstruct(part, rowCount: count, into: &reconstructionPart)
            latents.replaceSubrange((start * H)..<((start + count) * H), with: latentPart)
            reconstruction.replaceSubrange((start * C)..<((start + count) * C), with: reconstructionPart)
            start += count
        }
    }
}
