import Foundation

/// Reads a sharded store (a directory holding shards.json and no index of its own, docs/FORMAT.md
/// "Sharded stores") as the concatenation of its shards: one `StoreReader` per shard, and the
/// arithmetic (`ShardOffsets`) that maps global rows, chunks, documents and source ids to a shard
/// and back. Chunk bytes, documents and texts are always read through the shard holding them; the
/// union keeps only what spans shards (global chunk records, merged source names, its own
/// decoded-chunk cache). A sharded store is the snapshot its manifest lists: it never changes
/// under the reader, so the counts are fixed at opening.
public final class UnionStoreReader: StoreReading, @unchecked Sendable {
    /// The sharded store's directory (the one holding shards.json).
    public let path: String
    /// shards.json as read when opening.
    public let shardManifest: ShardManifest
    /// One reader per shard, in concatenation order.
    public let shards: [StoreReader]
    /// The first shard's manifest: every shard has its columns, chunking and model (checked when
    /// opening).
    public let manifest: StoreManifest
    let offsets: ShardOffsets
    /// Source names in global id order: names are merged by value, in order of first appearance
    /// over the shards, so shards of one corpus file share its id.
    let sourceNames: [String]
    /// Per shard: local source id → global id.
    let sourceIDs: [[Int: Int]]
    private let lock = NSLock()
    private var recordsByColumn: [Int: [ChunkRecord]] = [:]
    private let cache = DecodedChunkCache(budgetBytes: 64 << 20)
    private let decoders = DecoderPool()

    /// Opens `directory/shards.json` and every shard it lists. Throws `StoreError.notAStore` naming
    /// the sharded store and the shard when the manifest is unreadable, a shard is missing or cannot
    /// be opened, is itself a sharded store, holds other counts than the manifest says (it changed
    /// after the manifest was written), or differs from the first shard in columns, chunking or
    /// model.
    public init(directory: String) throws {
        let shardManifest = try ShardManifest.load(directory: directory)
        var shards: [StoreReader] = []
        for (k, entry) in shardManifest.shards.enumerated() {
            let shardPath = ShardManifest.resolve(entry.path, in: directory)
            guard !ShardManifest.isShardedStore(shardPath) else {
                throw StoreError.notAStore(path: directory, reason: "shard \(entry.path) is itself a sharded store")
            }
            let reader: StoreReader
            do {
                reader = try StoreReader(path: shardPath)
            } catch {
                throw StoreError.notAStore(path: directory, reason: "shard \(k) (\(entry.path), listed in \(ShardManifest.fileName)) cannot be opened: \(error)")
            }
            guard reader.rowCount == entry.rowCount, reader.documentCount == entry.documentCount else {
                throw StoreError.notAStore(path: directory, reason: "shard \(entry.path) holds \(reader.rowCount) rows and \(reader.documentCount) documents, \(ShardManifest.fileName) says \(entry.rowCount) and \(entry.documentCount); it changed after the manifest was written (rewrite it with `saestore shards \(directory) SHARD…`)")
            }
            if let first = shards.first, let problem = UnionStoreReader.mismatch(first.manifest, reader.manifest) {
                throw StoreError.notAStore(path: directory, reason: "shard \(entry.path) does not match shard \(shardManifest.shards[0].path): \(problem)")
            }
            shards.append(reader)
        }
        path = directory
        self.shardManifest = shardManifest
        self.shards = shards
        manifest = shards[0].manifest
        offsets = ShardOffsets(rowCounts: shards.map(\.rowCount), chunkCounts: shards.map(\.chunkCount),
                               documentCounts: shards.map(\.documentCount))
        var names: [String] = []
        var global: [String: Int] = [:]
        var maps: [[Int: Int]] = []
        for shard in shards {
            var map: [Int: Int] = [:]
            for (id, name) in try shard.allSourceNames() {
                if global[name] == nil {
                    global[name] = names.count
                    names.append(name)
                }
                map[id] = global[name]!
            }
            maps.append(map)
        }
        sourceNames = names
        sourceIDs = maps
    }

    /// Why two shards cannot be read as one store (columns, chunking or model differ), or nil.
    static func mismatch(_ a: StoreManifest, _ b: StoreManifest) -> String? {
        if a.columns != b.columns { return "columns differ (\(a.columns.map(\.name)) vs \(b.columns.map(\.name)))" }
        if a.hasDocuments != b.hasDocuments { return "one has documents, the other not" }
        if a.model != b.model || a.contextSize != b.contextSize || a.prependBOS != b.prependBOS || a.tokenizer != b.tokenizer {
            return "made from different models or windows (\(a.model ?? "?") context \(a.contextSize ?? 0) vs \(b.model ?? "?") context \(b.contextSize ?? 0))"
        }
        return nil
    }

    /// Rows over all shards.
    public var rowCount: Int { offsets.rowCount }
    /// Documents over all shards (0 for bare rows).
    public var documentCount: Int { offsets.documentCount }
    /// Chunks per column over all shards.
    public var chunkCount: Int { offsets.chunkCount }
    /// The shards' columns, in index order.
    public var columns: [ColumnSpec] { manifest.columns }
    /// The shard stores' directories, resolved, in concatenation order.
    public var shardPaths: [String] { shards.map(\.path) }

    /// Bytes of decoded chunks the union keeps for `readRows`/`readIntegers`/lookups (default
    /// 64 MiB; 0 turns the cache off). The shards' own caches stay unused: the union reads whole
    /// chunks from them.
    public var decodedCacheBytes: Int {
        get { cache.budgetBytes }
        set { cache.budgetBytes = newValue; if newValue == 0 { cache.removeAll() } }
    }

    /// Always false: the shards a manifest lists do not change under it (a shard that grew is
    /// refused when opening; rewrite the manifest and open again).
    @discardableResult
    public func refresh() throws -> Bool { false }

    // MARK: chunks

    /// A column's chunk records over all shards, rows renumbered globally (segment and byte offsets
    /// stay the shard's own: chunk bytes are always read through the shard).
    public func chunkRecords(column name: String) throws -> [ChunkRecord] {
        let column = try columnIndex(name)
        if let cached = lock.withLock({ recordsByColumn[column] }) { return cached }
        var records: [ChunkRecord] = []
        records.reserveCapacity(offsets.chunkCount)
        for (k, shard) in shards.enumerated() {
            for var record in try shard.records(column: column) {
                record.firstRow += offsets.rowStarts[k]
                records.append(record)
            }
        }
        lock.withLock { recordsByColumn[column] = records }
        return records
    }

    /// The shard holding global chunk `chunk` and its number there; throws
    /// `StoreError.invalidArgument` outside 0..<chunkCount.
    private func locate(chunk: Int) throws -> (shard: Int, local: Int) {
        guard chunk >= 0, chunk < offsets.chunkCount else {
            throw StoreError.invalidArgument("\(path): chunk \(chunk) is out of range (\(offsets.chunkCount) chunks)")
        }
        return offsets.locate(chunk: chunk)
    }

    /// Decodes global chunk `chunk` of float column `name` from the shard holding it.
    public func readChunk(column name: String, chunk: Int, into out: inout [Float], decoder: ChunkDecoder?) throws {
        _ = try columnIndex(name)  // a missing column is the union's, not a shard's
        let (k, local) = try locate(chunk: chunk)
        try shards[k].readChunk(column: name, chunk: local, into: &out, decoder: decoder)
    }

    /// Decodes global chunk `chunk` of integer column `name` from the shard holding it, doc ids
    /// renumbered globally.
    public func readChunk(column name: String, chunk: Int, into out: inout [UInt64], decoder: ChunkDecoder?) throws {
        _ = try columnIndex(name)
        let (k, local) = try locate(chunk: chunk)
        try shards[k].readChunk(column: name, chunk: local, into: &out, decoder: decoder)
        // A shard numbers its documents from 0; the union continues the numbering.
        let documentStart = offsets.documentStarts[k]
        if name == TokenColumn.docID, documentStart > 0 {
            let offset = UInt64(documentStart)
            for i in out.indices { out[i] += offset }
        }
    }

    /// Rows `rows` (global, may cross shard seams) of float column `name`, through the union's
    /// decoded-chunk cache.
    public func readRows(column name: String, rows: Range<Int>, into out: inout [Float], decoder: ChunkDecoder?) throws {
        try decoders.with(decoder) { try readCachedRows(column: name, rows: rows, into: &out, decoder: $0, cache: cache) }
    }

    /// Rows `rows` (global) of integer column `name`, doc ids global.
    public func readIntegers(column name: String, rows: Range<Int>, decoder: ChunkDecoder?) throws -> [UInt64] {
        try decoders.with(decoder) { try readCachedIntegers(column: name, rows: rows, decoder: $0, cache: cache) }
    }

    /// Hints the kernel to read global chunk `chunk`'s bytes (in its shard's segment).
    public func prefetch(column name: String, chunk: Int) throws {
        let (k, local) = try locate(chunk: chunk)
        try shards[k].prefetch(column: name, chunk: local)
    }

    /// Unmaps global chunk `chunk`'s bytes from this process (its shard's mapping).
    public func release(column name: String, chunk: Int) throws {
        let (k, local) = try locate(chunk: chunk)
        try shards[k].release(column: name, chunk: local)
    }
}
