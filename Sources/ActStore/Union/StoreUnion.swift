import Foundation

/// The shards behind a `StoreReader` opened on a sharded store, and the arithmetic that maps
/// global rows, chunks, documents and source ids to a shard and back.
final class StoreUnion: @unchecked Sendable {
    let manifest: ShardManifest
    let shards: [StoreReader]
    /// Prefix sums, shards.count + 1 entries each.
    let rowStarts: [Int]
    let chunkStarts: [Int]
    let documentStarts: [Int]
    /// Source names in global id order: names are merged by value, in order of first appearance
    /// over the shards, so shards of one corpus file share its id.
    let sourceNames: [String]
    /// Per shard: local source id → global id.
    let sourceIDs: [[Int: Int]]

    init(directory: String) throws {
        manifest = try ShardManifest.load(directory: directory)
        var shards: [StoreReader] = []
        for entry in manifest.shards {
            let path = ShardManifest.resolve(entry.path, in: directory)
            let reader = try StoreReader(path: path)
            guard !reader.isUnion else { throw StoreError.notAStore(path: directory, reason: "shard \(entry.path) is itself a sharded store") }
            guard reader.rowCount == entry.rowCount, reader.documentCount == entry.documentCount else {
                throw StoreError.notAStore(path: directory, reason: "shard \(entry.path) holds \(reader.rowCount) rows and \(reader.documentCount) documents, \(ShardManifest.fileName) says \(entry.rowCount) and \(entry.documentCount); it changed after the manifest was written (rewrite it with `saestore shards \(directory) SHARD…`)")
            }
            if let first = shards.first, let problem = StoreUnion.mismatch(first.manifest, reader.manifest) {
                throw StoreError.notAStore(path: directory, reason: "shard \(entry.path) does not match shard \(manifest.shards[0].path): \(problem)")
            }
            shards.append(reader)
        }
        self.shards = shards
        func starts(_ count: (StoreReader) -> Int) -> [Int] { shards.reduce(into: [0]) { $0.append($0.last! + count($1)) } }
        rowStarts = starts(\.rowCount)
        chunkStarts = starts(\.chunkCount)
        documentStarts = starts(\.documentCount)
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

    /// The shard whose half-open range in `starts` holds `value`.
    private func shard(of value: Int, in starts: [Int]) -> Int {
        var lo = 0, hi = shards.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= value { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    func locate(chunk: Int) -> (shard: Int, local: Int) {
        let k = shard(of: chunk, in: chunkStarts)
        return (k, chunk - chunkStarts[k])
    }

    func locate(row: Int) -> (shard: Int, local: Int) {
        let k = shard(of: row, in: rowStarts)
        return (k, row - rowStarts[k])
    }

    func locate(document: Int) -> (shard: Int, local: Int) {
        let k = shard(of: document, in: documentStarts)
        return (k, document - documentStarts[k])
    }

    /// A column's chunk records over all shards, rows renumbered globally (segment and byte
    /// offsets stay the shard's own: chunk bytes are always read through the shard).
    func records(column: Int) throws -> [ChunkRecord] {
        var out: [ChunkRecord] = []
        out.reserveCapacity(chunkStarts.last!)
        for (k, shard) in shards.enumerated() {
            for var record in try shard.records(column: column) {
                record.firstRow += rowStarts[k]
                out.append(record)
            }
        }
        return out
    }

    func document(_ doc: Int) throws -> DocumentRecord {
        let (k, local) = locate(document: doc)
        var record = try shards[k].document(local)
        record.firstRow += rowStarts[k]
        guard let id = sourceIDs[k][record.sourceID] else {
            throw StoreError.corruptIndex(store: shards[k].path, table: "sources", detail: "document \(local) names source \(record.sourceID), which the table lacks")
        }
        record.sourceID = id
        return record
    }
}
