/// A batch's open latents (f > 0) as compressed sparse rows, plus the latent-major index the
/// untied decoder's weight gradient walks. Entries of a row are in ascending latent order and
/// the latent-major slots of a latent in ascending row order, so every sum the sparse kernels
/// form runs in the same order as the dense path's loops over rows.
///
/// Buffers grow (by half again) only when a batch has more entries than any before it, so a
/// run reaches a steady state in which steps allocate nothing.
struct SparseLatents {
    /// Entry range of row b is rowStarts[b]..<rowStarts[b+1], (B+1).
    var rowStarts: [Int32]
    /// Latent index j of each entry, (nnz).
    var latents: [Int32]
    /// f of each entry, (nnz).
    var values: [Float]
    /// dL/dpre of each entry, (nnz).
    var grads: [Float]
    /// Slot range of latent j in the latent-major index is latentStarts[j]..<latentStarts[j+1], (H+1).
    var latentStarts: [Int32]
    /// Row b of each latent-major slot, (nnz).
    var slotRows: [Int32]
    /// Row-major entry of each latent-major slot, (nnz).
    var slotEntries: [Int32]
    /// Per-latent fill cursor while the latent-major index is built, (H).
    var slotCursors: [Int32]

    /// Entries in use.
    private(set) var entryCount = 0

    init(maxRowCount: Int, latentCount H: Int, initialCapacity: Int) {
        precondition(maxRowCount * H <= Int(Int32.max),
                     "\(maxRowCount) rows × \(H) latents overflow the sparse kernels' Int32 indices")
        rowStarts = [Int32](repeating: 0, count: maxRowCount + 1)
        latentStarts = [Int32](repeating: 0, count: H + 1)
        slotCursors = [Int32](repeating: 0, count: H)
        latents = []
        values = []
        grads = []
        slotRows = []
        slotEntries = []
        reserve(max(initialCapacity, 1))
    }

    /// Capacity in entries.
    var capacity: Int { latents.count }

    /// Makes room for `count` entries and records it as the entry count.
    mutating func resize(entryCount count: Int) {
        if count > capacity { reserve(max(count, capacity + capacity / 2)) }
        entryCount = count
    }

    private mutating func reserve(_ count: Int) {
        latents = [Int32](repeating: 0, count: count)
        values = [Float](repeating: 0, count: count)
        grads = [Float](repeating: 0, count: count)
        slotRows = [Int32](repeating: 0, count: count)
        slotEntries = [Int32](repeating: 0, count: count)
    }
}

extension SparseLatents {
    /// Base addresses of every buffer, for the kernels.
    struct Pointers {
        let rowStarts: UnsafeMutablePointer<Int32>
        let latents: UnsafeMutablePointer<Int32>
        let values: UnsafeMutablePointer<Float>
        let grads: UnsafeMutablePointer<Float>
        let latentStarts: UnsafeMutablePointer<Int32>
        let slotRows: UnsafeMutablePointer<Int32>
        let slotEntries: UnsafeMutablePointer<Int32>
        let slotCursors: UnsafeMutablePointer<Int32>
    }

    /// Calls `body` with the buffers' base addresses, valid only inside it.
    mutating func withPointers<R>(_ body: (Pointers) throws -> R) rethrows -> R {
        try rowStarts.withUnsafeMutableBufferPointer { rowStarts in
            try latents.withUnsafeMutableBufferPointer { latents in
                try values.withUnsafeMutableBufferPointer { values in
                    try grads.withUnsafeMutableBufferPointer { grads in
                        try latentStarts.withUnsafeMutableBufferPointer { latentStarts in
                            try slotRows.withUnsafeMutableBufferPointer { slotRows in
                                try slotEntries.withUnsafeMutableBufferPointer { slotEntries in
                                    try slotCursors.withUnsafeMutableBufferPointer { slotCursors in
                                        try body(Pointers(rowStarts: rowStarts.baseAddress!,
                                                          latents: latents.baseAddress!,
                                                          values: values.baseAddress!, grads: grads.baseAddress!,
                                                          latentStarts: latentStarts.baseAddress!,
                                                          slotRows: slotRows.baseAddress!,
                                                          slotEntries: slotEntries.baseAddress!,
                                                          slotCursors: slotCursors.baseAddress!))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
