/// Documents, texts and sources of a sharded store: each read from the shard holding it and
/// renumbered into the union's global rows, documents and source ids.
extension UnionStoreReader {
    /// Name of global source `id` (shards of one corpus file share its id).
    public func sourceName(_ id: Int) throws -> String {
        guard sourceNames.indices.contains(id) else { throw StoreError.corruptIndex(store: path, table: "sources", detail: "no source \(id)") }
        return sourceNames[id]
    }

    /// Record of global document `doc`: its shard's record with rows and source id made global.
    public func document(_ doc: Int) throws -> DocumentRecord {
        guard doc >= 0, doc < documentCount else { throw StoreError.docNotFound(store: path, doc: doc) }
        let (k, local) = offsets.locate(document: doc)
        var record = try shards[k].document(local)
        record.firstRow += offsets.rowStarts[k]
        guard let id = sourceIDs[k][record.sourceID] else {
            throw StoreError.corruptIndex(store: shards[k].path, table: "sources", detail: "document \(local) names source \(record.sourceID), which the table lacks")
        }
        record.sourceID = id
        return record
    }

    /// The text of global document `doc`, from its shard.
    public func text(ofDocument doc: Int) throws -> String? {
        guard doc >= 0, doc < documentCount else { throw StoreError.docNotFound(store: path, doc: doc) }
        let (k, local) = offsets.locate(document: doc)
        return try shards[k].text(ofDocument: local)
    }

    /// The global document holding global row `row` (nil for rows without documents).
    public func documentID(containing row: Int) throws -> Int? {
        guard row >= 0, row < rowCount else { throw StoreError.rowOutOfRange(store: path, row: row, rowCount: rowCount) }
        guard manifest.hasDocuments else { return nil }
        let (k, local) = offsets.locate(row: row)
        return try shards[k].documentID(containing: local).map { $0 + offsets.documentStarts[k] }
    }

    /// Every shard's cursors, keys prefixed by the shard's path and "|".
    public func cursor() throws -> [String: [UInt8]] {
        var merged: [String: [UInt8]] = [:]
        for shard in shards {
            for (key, value) in try shard.cursor() { merged[shard.path + "|" + key] = value }
        }
        return merged
    }
}
