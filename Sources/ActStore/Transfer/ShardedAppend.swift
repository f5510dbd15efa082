import Foundation

/// `import --append` onto a sharded store (a directory with shards.json): the part's rows go
/// to the last shard, then shards.json is rewritten with that shard's new counts.
///
/// Two commits, in order: the shard's own (all or nothing, as for any store), then the
/// manifest's atomic rename. A kill between them leaves a shard one part longer than the
/// manifest says, which the union refuses to open; the next append onto the store (the rerun
/// of the same command, say) finds that the shard's excess rows are exactly the last part
/// recorded in its index, and completes the manifest before anything else — the rerun then
/// reports the part as already appended, as it would on a plain store. Excess rows that are not
/// such a part (the shard was changed some other way) are refused, never adopted.
package struct ShardedAppend {
    /// The sharded store's directory.
    package let directory: String
    /// shards.json as read.
    package private(set) var manifest: ShardManifest
    /// The last shard's directory, resolved: where the rows go.
    package let lastShard: String

    /// Rows of the shards before the last one: the union row of the last shard's row 0.
    package var rowStart: Int { manifest.shards.dropLast().reduce(0) { $0 + $1.rowCount } }
    /// Documents of the shards before the last one.
    package var documentStart: Int { manifest.shards.dropLast().reduce(0) { $0 + $1.documentCount } }

    /// The sharded store at `store`, or nil when `store` is not one.
    package init?(store: String) throws {
        guard ShardManifest.exists(in: store) else { return nil }
        directory = store
        manifest = try ShardManifest.load(directory: store)
        lastShard = ShardManifest.resolve(manifest.shards[manifest.shards.count - 1].path, in: store)
    }

    /// Checks the last shard, open in `writer`, against the manifest. Equal counts: nothing to
    /// do. More rows by exactly the last part recorded in the shard's index (an append whose
    /// manifest rewrite was cut off): the manifest is completed now. Anything else throws.
    package mutating func reconcile(_ writer: StoreWriter) throws {
        let listed = manifest.shards[manifest.shards.count - 1]
        let rows = writer.committedRowCount, documents = writer.committedDocumentCount
        if rows == listed.rowCount && documents == listed.documentCount { return }
        let parts = try writer.committedCursor().filter { $0.key.hasPrefix(AppendPart.cursorPrefix) }
            .compactMap { try? JSONDecoder().decode(AppendRecord.self, from: Data($0.value)) }
        let interrupted = parts.contains {
            $0.firstRow == listed.rowCount && $0.firstRow + $0.rowCount == rows && listed.documentCount + $0.documentCount == documents
        }
        guard interrupted else {
            throw StoreError.notAStore(path: directory, reason: "its last shard \(listed.path) holds \(rows) rows and \(documents) documents, \(ShardManifest.fileName) says \(listed.rowCount) and \(listed.documentCount), and the difference is not one appended part; it was changed outside `import --append` (rewrite the manifest with `saestore shards \(directory) SHARD…` if the shard is right)")
        }
        try commit(rowCount: rows, documentCount: documents)
    }

    /// Writes shards.json with the last shard's counts (atomically; the union's commit point).
    package mutating func commit(rowCount: Int, documentCount: Int, beforeWrite: (() throws -> Void)? = nil) throws {
        try beforeWrite?()
        manifest.shards[manifest.shards.count - 1].rowCount = rowCount
        manifest.shards[manifest.shards.count - 1].documentCount = documentCount
        try manifest.write(directory: directory)
    }
}
