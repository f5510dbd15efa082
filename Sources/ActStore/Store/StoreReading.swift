/// What every reader of a store answers: its rows, columns and chunks, decoded values, and the
/// documents and texts the rows came from. `StoreReader` reads one store directory,
/// `UnionStoreReader` a sharded store (shards.json) as the concatenation of its shards; code above
/// ActStore takes `any StoreReading` and opens a user's path with `openStore(at:)`, so it reads
/// both the same way. Rows, chunks, documents and source ids are global: 0..<rowCount over the
/// whole store, whatever its shards.
///
/// Conformers are safe to use from many threads at once (give each thread its own
/// `ChunkDecoder`). What needs only these requirements (column lookups, chunk arithmetic, row
/// locations, context windows, `info()`) lives once, in extensions of this protocol.
public protocol StoreReading: AnyObject, Sendable {
    /// The directory the reader was opened on (for a sharded store, the one holding shards.json).
    var path: String { get }
    /// The store's manifest (columns, chunking, model) as of opening or the last `refresh()` that
    /// found changes. For a sharded store, the first shard's: every shard has the same columns,
    /// chunking and model (opening checks it).
    var manifest: StoreManifest { get }
    /// Committed rows in the reader's snapshot (as of opening or the last `refresh()`).
    var rowCount: Int { get }
    /// Committed documents in the reader's snapshot (0 for bare rows).
    var documentCount: Int { get }
    /// Chunks per column in the reader's snapshot: every column has this many, not a total over
    /// columns.
    var chunkCount: Int { get }
    /// The manifest's columns in index order, safe to read while another thread calls `refresh()`.
    var columns: [ColumnSpec] { get }
    /// The shard stores' directories, in concatenation order; empty for a single store directory.
    var shardPaths: [String] { get }
    /// Bytes of decoded chunks kept for `readRows`/`readIntegers`/lookups (default 64 MiB; 0 turns
    /// the cache off and empties it).
    var decodedCacheBytes: Int { get set }

    /// Picks up commits made since the reader opened; returns true when there is new data. A
    /// sharded store is the snapshot its shards.json lists and never changes under its reader.
    @discardableResult
    func refresh() throws -> Bool

    /// Every committed chunk record of the column named `name`, in chunk order, `firstRow` global.
    /// Throws `StoreError.missingColumn` when there is no such column.
    func chunkRecords(column name: String) throws -> [ChunkRecord]

    /// Decodes chunk `chunk` of float column `name` into `out` as (rows, width) values; `decoder`
    /// nil takes one from the reader's pool.
    func readChunk(column name: String, chunk: Int, into out: inout [Float], decoder: ChunkDecoder?) throws
    /// Decodes chunk `chunk` of integer column `name` into `out` (u32 values widened).
    func readChunk(column name: String, chunk: Int, into out: inout [UInt64], decoder: ChunkDecoder?) throws
    /// Rows `rows` of float column `name` as (rows.count, width) values in `out`, through the
    /// decoded-chunk cache; throws `StoreError.rowOutOfRange` outside 0..<rowCount.
    func readRows(column name: String, rows: Range<Int>, into out: inout [Float], decoder: ChunkDecoder?) throws
    /// Rows `rows` of integer column `name`, through the decoded-chunk cache.
    func readIntegers(column name: String, rows: Range<Int>, decoder: ChunkDecoder?) throws -> [UInt64]
    /// Hints the kernel to read a chunk's bytes ahead of decoding (used by loaders).
    func prefetch(column name: String, chunk: Int) throws
    /// Unmaps a chunk's bytes from this process after it has been decoded (streaming loaders call
    /// it, so resident memory stays bounded by what they hold, not by the store's size); the
    /// bytes stay in the page cache and the chunk can still be read at any time.
    func release(column name: String, chunk: Int) throws

    /// Name of source `id` (a corpus path or dataset name); throws `StoreError.corruptIndex` when
    /// the store has no such id.
    func sourceName(_ id: Int) throws -> String
    /// Record of document `doc` (its rows, source and text size). Throws `StoreError.docNotFound`
    /// outside 0..<documentCount, and `corruptIndex` when a counted document has no valid record.
    func document(_ doc: Int) throws -> DocumentRecord
    /// The document's stored text (nil when its rows came without text).
    func text(ofDocument doc: Int) throws -> String?
    /// The document holding `row`, or nil for rows that came without documents; throws
    /// `StoreError.rowOutOfRange` outside 0..<rowCount.
    func documentID(containing row: Int) throws -> Int?
    /// Per-source ingest cursors as of the reader's snapshot. For a sharded store, each shard's
    /// cursors with keys prefixed by the shard's path and "|".
    func cursor() throws -> [String: [UInt8]]
}

extension StoreReading {
    /// Position of the column named `name` in the manifest (its id in chunk keys); throws
    /// `StoreError.missingColumn`, listing the store's columns, when there is none.
    public func columnIndex(_ name: String) throws -> Int {
        let columns = self.columns
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw StoreError.missingColumn(store: path, column: name, available: columns.map(\.name))
        }
        return index
    }

    /// The spec of the column named `name`; throws `StoreError.missingColumn` when there is none.
    public func spec(_ name: String) throws -> ColumnSpec { columns[try columnIndex(name)] }

    /// Rows covered by `chunk` (the same for every column).
    public func chunkRows(_ chunk: Int) throws -> Range<Int> {
        let record = try rowChunkRecords()[chunk]
        return record.firstRow..<record.firstRow + record.rowCount
    }

    /// The chunk holding `row`, by binary search over chunk first rows; throws
    /// `StoreError.rowOutOfRange` outside 0..<rowCount.
    public func chunk(containing row: Int) throws -> Int {
        let records = try rowChunkRecords()
        let count = rowCount
        guard row >= 0, row < count else { throw StoreError.rowOutOfRange(store: path, row: row, rowCount: count) }
        var lo = 0, hi = records.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if records[mid].firstRow <= row { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The first column's chunk records: chunks cut every column at the same rows, so any
    /// column's records give the chunk of a row.
    private func rowChunkRecords() throws -> [ChunkRecord] { try chunkRecords(column: columns[0].name) }

    /// A decoder owns zstd state and scratch memory; use one per thread.
    public func makeDecoder() -> ChunkDecoder { ChunkDecoder() }

    /// Decodes chunk `chunk` of float column `name` with a decoder from the reader's pool.
    public func readChunk(column name: String, chunk: Int, into out: inout [Float]) throws {
        try readChunk(column: name, chunk: chunk, into: &out, decoder: nil)
    }

    /// Decodes chunk `chunk` of integer column `name` with a decoder from the reader's pool.
    public func readChunk(column name: String, chunk: Int, into out: inout [UInt64]) throws {
        try readChunk(column: name, chunk: chunk, into: &out, decoder: nil)
    }

    /// Rows `rows` of float column `name` in `out`, with a decoder from the reader's pool.
    public func readRows(column name: String, rows: Range<Int>, into out: inout [Float]) throws {
        try readRows(column: name, rows: rows, into: &out, decoder: nil)
    }

    /// Rows `rows` of integer column `name`, with a decoder from the reader's pool.
    public func readIntegers(column name: String, rows: Range<Int>) throws -> [UInt64] {
        try readIntegers(column: name, rows: rows, decoder: nil)
    }
}
