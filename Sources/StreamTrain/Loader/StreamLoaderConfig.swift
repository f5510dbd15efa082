import ActStore

/// How activations stream from a store into training batches.
public struct StreamLoaderConfig: Codable, Sendable, Equatable {
    /// Column to read (a hook name, e.g. `blocks.2.hook_resid_pre`).
    public var column: String
    /// First row (inclusive) of the rows to use; 0 when nil.
    public var firstRow: Int?
    /// End row (exclusive) of the rows to use; the store's row count when nil.
    public var endRow: Int?
    /// Rows held in the shuffle buffer; batches are drawn uniformly from it. Memory is
    /// about shuffleBufferRows × width × 4 bytes.
    public var shuffleBufferRows: Int
    /// Threads decompressing chunks ahead of the trainer.
    public var workerCount: Int
    /// Chunks decoded ahead of the one being consumed (bounded memory: each holds
    /// chunkRows × width × 4 bytes).
    public var prefetchChunks: Int
    /// Seed of the per-epoch chunk permutation and the buffer's draws.
    public var seed: UInt64
    /// Rows at context positions below this are skipped (1 skips position 0, the BOS
    /// token whose residual norm dwarfs every other token's). Needs the `pos` column.
    public var minimumPosition: Int
    /// false: rows in store order, no chunk permutation, no buffer (for evaluation scans).
    public var shuffle: Bool
    /// Transcoders: a second column of the same store (e.g. `blocks.2.hook_mlp_out`) read
    /// beside `column`; every row is then `[column's row | targetColumn's row]`, the same row
    /// id in both halves, shuffled together. nil (the default) reads `column` alone.
    public var targetColumn: String?

    /// A loader config; `validate()` checks the ranges.
    public init(column: String, firstRow: Int? = nil, endRow: Int? = nil, shuffleBufferRows: Int = 1 << 16,
                workerCount: Int = 1, prefetchChunks: Int = 4, seed: UInt64 = 0, minimumPosition: Int = 0, shuffle: Bool = true,
                targetColumn: String? = nil) {
        self.targetColumn = targetColumn
        self.column = column
        self.firstRow = firstRow
        self.endRow = endRow
        self.shuffleBufferRows = shuffleBufferRows
        self.workerCount = workerCount
        self.prefetchChunks = prefetchChunks
        self.seed = seed
        self.minimumPosition = minimumPosition
        self.shuffle = shuffle
    }

    /// Throws `StoreError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        if shuffleBufferRows < 1 { throw StoreError.invalidArgument("shuffle buffer must hold at least 1 row, got \(shuffleBufferRows)") }
        if !(1...64).contains(workerCount) { throw StoreError.invalidArgument("worker count must be 1...64, got \(workerCount)") }
        if !(1...1024).contains(prefetchChunks) { throw StoreError.invalidArgument("prefetch must be 1...1024 chunks, got \(prefetchChunks)") }
        if minimumPosition < 0 { throw StoreError.invalidArgument("minimum position must be >= 0") }
        if let firstRow, let endRow, firstRow > endRow { throw StoreError.invalidArgument("row range \(firstRow)..<\(endRow) is empty or reversed") }
    }
}
