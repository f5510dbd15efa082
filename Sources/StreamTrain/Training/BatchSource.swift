import Foundation

/// Where a trainer gets its rows. The store-backed streaming loader and `ArrayBatchSource` both
/// conform; the trainer knows nothing else about them.
public protocol BatchSource {
    /// Floats per row.
    var rowWidth: Int { get }

    /// Writes up to `maxRowCount` rows, row-major, into `batch[0..<rows·rowWidth]` (the caller
    /// sizes `batch` for `maxRowCount` rows) and returns the row count. Returns 0 once at the
    /// end of each epoch; the next call starts the next epoch.
    mutating func nextBatch(into batch: inout [Float], maxRowCount: Int) throws -> Int

    /// An opaque blob from which `restore(position:)` continues exactly where this source is
    /// now (epoch, offset, shuffle RNG…); saved in checkpoints.
    func position() throws -> Data

    /// Returns to a position produced by `position()` of a source over the same data.
    mutating func restore(position: Data) throws
}
