extension SparseAutoencoder {
    /// Latent activations f of `rowCount` rows (row-major, dIn floats each) as (rowCount, dSAE).
    public func encode(_ rows: [Float], rowCount: Int) -> [Float] {
        var encoder = SAEEncoder(sae: self, maxRowCount: max(rowCount, 1))
        var out: [Float] = []
        encoder.encode(rows, rowCount: rowCount, into: &out)
        return out
    }

    /// Reconstructions x̂ = decode(encode(x)) of `rowCount` rows, as (rowCount, dIn).
    public func reconstruct(_ rows: [Float], rowCount: Int) -> [Float] {
        var encoder = SAEEncoder(sae: self, maxRowCount: max(rowCount, 1))
        var out: [Float] = []
        encoder.reconstruct(rows, rowCount: rowCount, into: &out)
        return out
    }
}
