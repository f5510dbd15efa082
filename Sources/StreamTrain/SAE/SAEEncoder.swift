/// Encodes batches with one set of buffers, for scans over many rows (feature analysis).
///
/// Encoding runs the encoder product and the activation only (no per-latent tallies, no
/// decoder-row norms: nothing a scan does not read). `reconstruct` decodes with the sparse
/// kernel when the batch's density is at or below `SAEKernelMode.autoDensityThreshold`.
public struct SAEEncoder {
    /// The SAE used.
    public let sae: SparseAutoencoder
    /// How `reconstruct` decodes (`auto`: by the batch's density).
    public let kernels: SAEKernelMode
    private var workspace: SAEWorkspace
    /// Whether `workspace.decoderRows` holds W_encᵀ (tied SAE; the weights never change here).
    private var decoderRowsReady = false

    /// An encoder for batches of up to `maxRowCount` rows of `sae`.
    public init(sae: SparseAutoencoder, maxRowCount: Int, kernels: SAEKernelMode = .auto) {
        self.sae = sae
        self.kernels = kernels
        workspace = SAEWorkspace(sae: sae, maxRowCount: maxRowCount, reservingSparse: false)
    }

    /// Writes f of `rowCount` rows into `out` (resized to rowCount × dSAE if needed).
    public mutating func encode(_ rows: [Float], rowCount: Int, into out: inout [Float]) {
        let count = rowCount * sae.dSAE
        if out.count != count { out = [Float](repeating: 0, count: count) }
        guard rowCount > 0 else { return }
        sae.encodeLatents(rows, rowCount: rowCount, workspace: &workspace)
        out.withUnsafeMutableBufferPointer { out in
            workspace.acts.withUnsafeBufferPointer { acts in
                out.baseAddress!.update(from: acts.baseAddress!, count: count)
            }
        }
    }

    /// Writes the pre-activations (x − b_dec?) · W_enc + b_enc of `rowCount` rows into `out`
    /// (resized to rowCount × dSAE if needed), skipping the activation pass. For a ReLU SAE
    /// (standard, tied) f = pre exactly where pre > 0 and f = 0 elsewhere, so a reader that
    /// only looks at f > 0 (a feature scan) gets the same values for one pass less over the
    /// batch. TopK's f depends on every latent of the row, so it has no such shortcut.
    public mutating func encodePreActivations(_ rows: [Float], rowCount: Int, into out: inout [Float]) {
        precondition(sae.architecture.isReLU, "encodePreActivations: only a ReLU SAE's activations are its positive pre-activations; use encode")
        let count = rowCount * sae.dSAE
        if out.count != count { out = [Float](repeating: 0, count: count) }
        guard rowCount > 0 else { return }
        sae.encodePreActivations(rows, rowCount: rowCount, workspace: &workspace)
        out.withUnsafeMutableBufferPointer { out in
            workspace.acts.withUnsafeBufferPointer { acts in
                out.baseAddress!.update(from: acts.baseAddress!, count: count)
            }
        }
    }

    /// The open latents (f > 0) of `rowCount` rows as compressed sparse rows: row b's entries
    /// are `latents[rowStarts[b]..<rowStarts[b+1]]` (ascending) with activations `values[…]`.
    /// The arrays are resized as needed, so a scan that reuses them allocates only when a
    /// batch has more open latents than any before.
    public mutating func encodeSparse(_ rows: [Float], rowCount: Int, rowStarts: inout [Int32],
                                      latents: inout [Int32], values: inout [Float]) {
        if rowStarts.count != rowCount + 1 { rowStarts = [Int32](repeating: 0, count: rowCount + 1) }
        guard rowCount > 0 else { latents.removeAll(keepingCapacity: true); values.removeAll(keepingCapacity: true); return }
        let open = sae.encodeLatents(rows, rowCount: rowCount, workspace: &workspace)
        sae.gatherOpenLatents(rowCount: rowCount, openCount: open, workspace: &workspace)
        if latents.count != open { latents = [Int32](repeating: 0, count: open) }
        if values.count != open { values = [Float](repeating: 0, count: open) }
        for b in 0...rowCount { rowStarts[b] = workspace.sparse.rowStarts[b] }
        for e in 0..<open {
            latents[e] = workspace.sparse.latents[e]
            values[e] = workspace.sparse.values[e]
        }
    }

    /// Writes x̂ of `rowCount` rows into `out` (resized to rowCount × dIn if needed).
    public mutating func reconstruct(_ rows: [Float], rowCount: Int, into out: inout [Float]) {
        let count = rowCount * sae.dIn
        if out.count != count { out = [Float](repeating: 0, count: count) }
        guard rowCount > 0 else { return }
        let open = sae.encodeLatents(rows, rowCount: rowCount, workspace: &workspace)
        if kernels.usesSparse(density: Double(open) / Double(rowCount * sae.dSAE)) {
            sae.gatherOpenLatents(rowCount: rowCount, openCount: open, workspace: &workspace)
            if sae.architecture.isTied && !decoderRowsReady {
                sae.transposeEncoder(workspace: &workspace)
                decoderRowsReady = true
            }
            sae.decodeOpenLatents(rowCount: rowCount, workspace: &workspace)
        } else {
            sae.decodeBatch(rowCount: rowCount, workspace: &workspace)
        }
        out.withUnsafeMutableBufferPointer { out in
            workspace.residuals.withUnsafeBufferPointer { xhat in
                out.baseAddress!.update(from: xhat.baseAddress!, count: count)
            }
        }
    }
}
