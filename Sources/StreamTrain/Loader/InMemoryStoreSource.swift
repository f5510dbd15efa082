import ActStore
import Foundation

/// The loader's rows read into memory once, then served like `ArrayBatchSource` (a
/// shuffled permutation per epoch): for stores that fit in RAM, and as the reference the
/// streaming loader's throughput is measured against.
public struct InMemoryStoreSource: BatchSource {
    private var inner: ArrayBatchSource
    /// Floats per row (the column's width).
    public var rowWidth: Int { inner.rowWidth }

    /// Reads every row `config` selects in store order into memory (4·rows·width bytes), then
    /// shuffles per epoch with `config.seed` if `config.shuffle`. Throws the loader's errors, or
    /// `TrainingError.badSource` when the selection holds no rows.
    public init(reader: any StoreReading, config: StreamLoaderConfig) throws {
        var unshuffled = config
        unshuffled.shuffle = false
        let all = try StoreBatchSource(reader: reader, config: unshuffled)
        var rows = [Float]()
        rows.reserveCapacity(all.rowsPerEpoch * all.rowWidth)
        var batch = [Float](repeating: 0, count: 8192 * all.rowWidth)
        while true {
            let n = try all.nextBatch(into: &batch, maxRowCount: 8192)
            if n == 0 { break }
            rows.append(contentsOf: batch[0..<n * all.rowWidth])
        }
        inner = try ArrayBatchSource(rows: rows, rowWidth: all.rowWidth, seed: config.seed, shuffle: config.shuffle)
    }

    /// Up to `maxRowCount` rows of this epoch's permutation; 0 once at the end of each epoch.
    public mutating func nextBatch(into batch: inout [Float], maxRowCount: Int) throws -> Int {
        try inner.nextBatch(into: &batch, maxRowCount: maxRowCount)
    }

    /// Epoch and rows consumed (the rows themselves are not saved).
    public func position() throws -> Data { try inner.position() }
    /// Returns to a `position()` of a source over the same rows and seed; throws `TrainingError.badSource` otherwise.
    public mutating func restore(position: Data) throws { try inner.restore(position: position) }
}
