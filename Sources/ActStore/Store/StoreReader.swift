import Foundation

/// Reads one store directory: chunk records come from the index into memory (per column, on
/// first use), chunk bytes from mmapped segments, checked against their CRC-32C and decoded
/// into caller buffers. Safe to use from many threads at once (give each thread its own
/// `ChunkDecoder`), and alongside a writer in another process: a reader sees the state of
/// the last commit before it opened or last called `refresh()`. A sharded store is read by
/// `UnionStoreReader`, over one of these per shard; `openStore(at:)` picks the right one.
public final class StoreReader: StoreReading, @unchecked Sendable {
    /// The store directory the reader was opened on.
    public let path: String
    /// The manifest as of opening or the last `refresh()` that found changes. It is read without
    /// the reader's lock: where another thread may call `refresh()`, read `columns` instead.
    public private(set) var manifest: StoreManifest
    let env: LMDBEnvironment
    private var state: CommitState
    private let lock = NSLock()
    private var recordsByColumn: [Int: [ChunkRecord]] = [:]
    private var mappings: [Int: SegmentMapping] = [:]
    private var sourceNames: [Int: String] = [:]
    private let decoders = DecoderPool()
    private let cache = DecodedChunkCache(budgetBytes: 64 << 20)

    /// Always empty: one store directory has no shards.
    public var shardPaths: [String] { [] }

    /// Bytes of decoded chunks kept for `readRows`/`readIntegers`/lookups (default 64 MiB;
    /// 0 turns the cache off).
    public var decodedCacheBytes: Int {
        get { cache.budgetBytes }
        set { cache.budgetBytes = newValue; if newValue == 0 { cache.removeAll() } }
    }

    /// Opens the store directory `path`. Throws `StoreError.notAStore` when it is no store, or is
    /// a sharded store (open that with `openStore(at:)` or `UnionStoreReader(directory:)`).
    public init(path: String) throws {
        guard !ShardManifest.isShardedStore(path) else {
            throw StoreError.notAStore(path: path, reason: "it is a sharded store (\(ShardManifest.fileName)); open it with openStore(at:), which reads it through UnionStoreReader")
        }
        self.path = path
        let (env, manifest, state) = try StoreDirectory.openIndex(path, readOnly: true)
        self.env = env
        self.manifest = manifest
        self.state = state
    }

    /// Committed rows in the reader's snapshot (as of opening or the last `refresh()`).
    public var rowCount: Int { lock.withLock { state.rowCount } }
    /// Committed documents in the reader's snapshot (0 for bare rows).
    public var documentCount: Int { lock.withLock { state.docCount } }
    /// Chunks per column in the reader's snapshot: every column has this many, not a total over
    /// columns.
    public var chunkCount: Int { lock.withLock { state.chunkCount } }
    /// The manifest's columns in index order, read under the reader's lock (safe alongside
    /// `refresh()`).
    public var columns: [ColumnSpec] { lock.withLock { manifest.columns } }

    /// Picks up commits made since this reader opened. Returns true when there is new data.
    @discardableResult
    public func refresh() throws -> Bool {
        let (newManifest, newState) = try StoreDirectory.mapIndexErrors(store: path, table: "meta") {
            try env.withTransaction(write: false) { txn -> (StoreManifest, CommitState) in
                guard let stateBytes = try txn.get(.meta, StoreFormat.MetaKey.state),
                      let manifestBytes = try txn.get(.meta, StoreFormat.MetaKey.manifest) else {
                    throw StoreError.corruptIndex(store: path, table: "meta", detail: "state or manifest missing")
                }
                return (try JSONDecoder().decode(StoreManifest.self, from: Data(manifestBytes)), try CommitState(decoding: stateBytes))
            }
        }
        return lock.withLock {
            guard newState != state || newManifest != manifest else { return false }
            state = newState
            manifest = newManifest
            recordsByColumn.removeAll()
            mappings.removeAll()
            cache.removeAll()
            return true
        }
    }

    // MARK: columns and chunks

    /// Every committed chunk record of a column, in chunk order.
    public func chunkRecords(column name: String) throws -> [ChunkRecord] {
        try records(column: try columnIndex(name))
    }

    func records(column: Int) throws -> [ChunkRecord] {
        if let cached = lock.withLock({ recordsByColumn[column] }) { return cached }
        let expected = chunkCount
        let name = columns[column].name
        let loaded: [ChunkRecord] = try StoreDirectory.mapIndexErrors(store: path, table: "chunks") {
            try env.withTransaction(write: false) { txn in
                var records: [ChunkRecord] = []
                records.reserveCapacity(expected)
                try txn.scan(.chunks, from: IndexKey.chunk(column: column, chunk: 0)) { key, value in
                    guard let (c, chunk) = IndexKey.decodeChunk(key) else { throw RecordReader.Short() }
                    if c != column || chunk >= expected { return false }
                    guard chunk == records.count else {
                        throw StoreError.corruptIndex(store: path, table: "chunks", detail: "column \(name) has no record for chunk \(records.count)")
                    }
                    records.append(try ChunkRecord(decoding: Array(value)))
                    return true
                }
                return records
            }
        }
        guard loaded.count == expected else {
            throw StoreError.corruptIndex(store: path, table: "chunks", detail: "column \(name) has \(loaded.count) chunk records, the commit state says \(expected)")
        }
        lock.withLock { recordsByColumn[column] = loaded }
        return loaded
    }

    func mapping(segment: Int) throws -> SegmentMapping? {
        if let m = lock.withLock({ mappings[segment] }) { return m }
        let segmentPath = SegmentFile.path(store: path, segment: segment)
        guard FileManager.default.fileExists(atPath: segmentPath) else { return nil }
        let m = try SegmentMapping(path: segmentPath)
        lock.withLock { mappings[segment] = m }
        return m
    }

    // MARK: decoding

    /// Decodes chunk `chunk` of float column `name` into `out` as (rows, width) values.
    public func readChunk(column name: String, chunk: Int, into out: inout [Float], decoder: ChunkDecoder?) throws {
        let column = try columnIndex(name)
        try decoders.with(decoder) { try $0.decode(reader: self, column: column, chunk: chunk, floats: &out) }
    }

    /// Decodes an integer column's chunk (u32 values widened).
    public func readChunk(column name: String, chunk: Int, into out: inout [UInt64], decoder: ChunkDecoder?) throws {
        let column = try columnIndex(name)
        try decoders.with(decoder) { try $0.decode(reader: self, column: column, chunk: chunk, integers: &out) }
    }

    /// Rows [rows) of a float column as (rows.count, width) values in `out`, through the reader's
    /// decoded-chunk cache.
    public func readRows(column name: String, rows: Range<Int>, into out: inout [Float], decoder: ChunkDecoder?) throws {
        try decoders.with(decoder) { try readCachedRows(column: name, rows: rows, into: &out, decoder: $0, cache: cache) }
    }

    /// Rows [rows) of an integer column, through the reader's decoded-chunk cache.
    public func readIntegers(column name: String, rows: Range<Int>, decoder: ChunkDecoder?) throws -> [UInt64] {
        try decoders.with(decoder) { try readCachedIntegers(column: name, rows: rows, decoder: $0, cache: cache) }
    }

    /// Hints the kernel to read a chunk's bytes ahead of decoding (used by loaders).
    public func prefetch(column name: String, chunk: Int) throws {
        let record = try records(column: try columnIndex(name))[chunk]
        try mapping(segment: record.segment)?.willNeed(record.byteOffset..<record.byteOffset + record.compressedByteCount)
    }

    /// Unmaps a chunk's bytes from this process after it has been decoded; the bytes stay in the
    /// page cache and the chunk can still be read at any time.
    public func release(column name: String, chunk: Int) throws {
        let record = try records(column: try columnIndex(name))[chunk]
        try mapping(segment: record.segment)?.release(record.byteOffset..<record.byteOffset + record.compressedByteCount)
    }

    // MARK: documents

    /// Name of source `id` (the `sources` table: a corpus path or dataset name), cached after the
    /// first lookup; throws `StoreError.corruptIndex` when the table has no such id.
    public func sourceName(_ id: Int) throws -> String {
        if let name = lock.withLock({ sourceNames[id] }) { return name }
        let name: String? = try StoreDirectory.mapIndexErrors(store: path, table: "sources") {
            try env.withTransaction(write: false) { txn in
                try txn.get(.sources, IndexKey.u64(UInt64(id))).map { String(decoding: $0, as: UTF8.self) }
            }
        }
        guard let name else { throw StoreError.corruptIndex(store: path, table: "sources", detail: "no source \(id)") }
        lock.withLock { sourceNames[id] = name }
        return name
    }

    /// Record of document `doc` (its rows, source and text size).
    /// Throws `StoreError.docNotFound` outside 0..<documentCount, and `corruptIndex` when a counted
    /// document has no valid record.
    public func document(_ doc: Int) throws -> DocumentRecord {
        guard doc >= 0, doc < documentCount else { throw StoreError.docNotFound(store: path, doc: doc) }
        let bytes = try StoreDirectory.mapIndexErrors(store: path, table: "docs") {
            try env.withTransaction(write: false) { try $0.get(.docs, IndexKey.u64(UInt64(doc))) }
        }
        guard let bytes else { throw StoreError.corruptIndex(store: path, table: "docs", detail: "document \(doc) is counted but has no record") }
        return try StoreDirectory.mapIndexErrors(store: path, table: "docs") { try DocumentRecord(decoding: bytes) }
    }

    /// The document's stored text (nil when its rows came without text).
    public func text(ofDocument doc: Int) throws -> String? {
        let record = try document(doc)
        if record.textByteCount == 0 { return "" }
        let compressed = try StoreDirectory.mapIndexErrors(store: path, table: "texts") {
            try env.withTransaction(write: false) { try $0.get(.texts, IndexKey.u64(UInt64(doc))) }
        }
        guard let compressed else { throw StoreError.corruptIndex(store: path, table: "texts", detail: "document \(doc) has no text record") }
        let bytes: [UInt8]
        do {
            bytes = try decoders.with(nil) { try $0.decompress(compressed) }
        } catch {
            throw StoreError.corruptIndex(store: path, table: "texts", detail: "document \(doc): \(error)")
        }
        guard bytes.count == record.textByteCount else {
            throw StoreError.corruptIndex(store: path, table: "texts", detail: "document \(doc) text is \(bytes.count) bytes, its record says \(record.textByteCount)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The document holding `row` (a range lookup on the `rowdoc` table), or nil for rows
    /// that came without documents.
    public func documentID(containing row: Int) throws -> Int? {
        guard row >= 0, row < rowCount else { throw StoreError.rowOutOfRange(store: path, row: row, rowCount: rowCount) }
        guard manifest.hasDocuments else { return nil }
        let entry = try StoreDirectory.mapIndexErrors(store: path, table: "rowdoc") {
            try env.withTransaction(write: false) { try $0.floorEntry(.rowdoc, IndexKey.u64(UInt64(row))) }
        }
        guard let entry, let doc = IndexKey.decodeU64(entry.value) else {
            throw StoreError.corruptIndex(store: path, table: "rowdoc", detail: "no document starts at or before row \(row)")
        }
        return Int(doc)
    }

    /// Per-source cursors as of the reader's snapshot.
    public func cursor() throws -> [String: [UInt8]] {
        try StoreDirectory.readCursor(env, store: path)
    }

    /// Every (id, name) of the `sources` table, in id order.
    func allSourceNames() throws -> [(Int, String)] {
        try StoreDirectory.mapIndexErrors(store: path, table: "sources") {
            try env.withTransaction(write: false) { txn in
                var out: [(Int, String)] = []
                try txn.scan(.sources) { key, value in
                    guard let id = IndexKey.decodeU64(key) else { throw RecordReader.Short() }
                    out.append((Int(id), String(decoding: value, as: UTF8.self)))
                    return true
                }
                return out
            }
        }
    }
}
