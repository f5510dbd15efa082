/// Encodes batches with one set of buffers, for scans over many rows (feature analysis).
public struct SAEEncoder {
    /// The SAE used.
    public let sae: SparseAutoencoder
    private var workspace: SAEWorkspace

    public init(sae: SparseAutoencoder, maxRowCount: Int) {
        self.sae = sae
        workspace = SAEWorkspace(sae: sae, maxRowCount: maxRowCount)
    }

    /// Writes f of `rowCount` rows into `out` (resized to rowCount × dSAE if needed).
    public mutating func encode(_ rows: [Float], rowCount: Int, into out: inout [Float]) {
        let count = rowCount * sae.dSAE
        if out.count != count { out = [Float](repeating: 0, count: count) }
        guard rowCount > 0 else { return }
        sae.encodeBatch(rows, rowCount: rowCount, workspace: &workspace)
        out.withUnsafeMutableBufferPointer { out in
            workspace.acts.withUnsafeBufferPointer { acts in
                out.baseAddress!.update(from: acts.baseAddress!, count: count)
            }
        }
    }

    /// Writes x̂ of `rowCount` rows into `out` (resized to rowCount × dIn if needed).
    public mutating func reconstruct(_ rows: [Float], rowCount: Int, into out: inout [Float]) {
        let count = rowCount * sae.dIn
        if out.count != count { out = [Float](repeating: 0, count: count) }
        guard rowCount > 0 else { return }
        sae.encodeBatch(rows, rowCount: rowCount, workspace: &workspace)
        sae.decodeBatch(rowCount: rowCount, workspace: &workspace)
        out.withUnsafeMutableBufferPointer { out in
            workspace.residuals.withUnsafeBufferPointer { xhat in
                out.baseAddress!.update(from: xhat.baseAddress!, count: count)
            }
        }
    }
}
