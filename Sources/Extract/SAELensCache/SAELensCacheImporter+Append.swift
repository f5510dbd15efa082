import ActStore
import Foundation
import TensorIO

extension SAELensCacheImporter {
    /// Appends the sequences of `cache` (a cache directory, or one of its `.arrow` shards) to
    /// the store of documents at `store`, as `importCache` would have imported them: each
    /// sequence one document (source `cache`, index its number in `cache`), its text rebuilt
    /// from its token ids. So a cache exported shard by shard comes in shard by shard, and the
    /// shards appended in order give the rows, tokens, texts and (for f32/f16/bf16) chunks of
    /// one import of the whole cache.
    ///
    /// The cache must be of the store's source: the store's one activation column is the
    /// cache's hook, with its width and dtype (`codec`, when given, must match), and its
    /// sequences have the store's context size. All or nothing: one commit at the end (the
    /// documents' records and texts wait in memory until then; activations never do), a part
    /// already brought in is refused by its bytes, and any error or a kill leaves the store at
    /// its previous commit. `beforeCommit` runs with the bytes durable, just before the commit.
    /// On a sharded store the sequences go to its last shard, then shards.json is rewritten
    /// (`ShardedAppend`; `beforeManifestWrite` runs between the two commits).
    public static func appendCache(cache: String, store: String, tokenizer: any TextTokenizer, codec: ColumnCodec? = nil,
                                   progress: ((_ sequencesDone: Int, _ sequencesTotal: Int) -> Void)? = nil,
                                   beforeCommit: (() throws -> Void)? = nil,
                                   beforeManifestWrite: (() throws -> Void)? = nil) throws -> Summary {
        let opened = try OpenedCache(cache: cache)
        // A sharded store grows at its last shard; shards.json is rewritten after its commit.
        var sharded = try ShardedAppend(store: store)
        let writer = try StoreWriter.open(at: sharded?.lastShard ?? store)
        try sharded?.reconcile(writer)
        let spec = try check(opened, against: writer.manifest, store: store, codec: codec)
        // A GPT-2 vocabulary and a tokenizer.json one give the same ids other text.
        if let recorded = writer.manifest.tokenizer, recorded != tokenizer.manifestName {
            throw AppendError.mismatch(store: store, file: opened.paths[0], position: "its token ids",
                                       expected: "ids of the store's tokenizer (\(recorded))", found: "--model's tokenizer is \(tokenizer.manifestName)")
        }
        let part = try AppendPart(files: opened.paths)
        if var earlier = try writer.earlierAppend(of: part) {
            earlier.firstRow += sharded?.rowStart ?? 0
            throw AppendError.duplicatePart(store: store, file: cache, fingerprint: part.fingerprint, earlier: earlier)
        }
        var summary = Summary(hook: opened.hook, width: spec.width, contextSize: writer.manifest.contextSize ?? 0,
                              sequences: 0, rowCount: 0, arrowFiles: opened.paths)
        let firstRow = writer.committedRowCount
        let firstDocument = writer.committedDocumentCount
        do {
            try writer.reopenTailChunk()
            for (f, file) in opened.files.enumerated() {
                for batch in 0..<file.batchCount {
                    let (acts, tokens) = try sequences(file, hook: opened.hook, batch: batch)
                    let shape = "batch \(batch): \(opened.hook) of shape (\(acts.rows), \(acts.context), \(acts.width))"
                    guard acts.width == spec.width else {
                        throw AppendError.mismatch(store: store, file: opened.paths[f], position: shape,
                                                   expected: "width \(spec.width), the width of column \(spec.name)", found: "width \(acts.width)")
                    }
                    if let context = writer.manifest.contextSize, acts.context != context {
                        throw AppendError.mismatch(store: store, file: opened.paths[f], position: shape,
                                                   expected: "sequences of \(context) tokens, the store's context size", found: "\(acts.context) tokens")
                    }
                    for s in 0..<acts.rows {
                        let ids = Array(tokens[s * acts.context..<(s + 1) * acts.context])
                        var doc = try document(ids: ids, tokenizer: tokenizer, source: cache, index: summary.sequences, file: opened.paths[f])
                        doc.activations[opened.hook] = Array(acts.values[s * acts.context * acts.width..<(s + 1) * acts.context * acts.width])
                        try writer.append(doc)
                        summary.sequences += 1
                        summary.rowCount += ids.count
                    }
                    progress?(summary.sequences, opened.sequenceCount)
                }
            }
            let record = AppendRecord(files: opened.paths, firstRow: firstRow, rowCount: summary.rowCount, documentCount: summary.sequences)
            let cursor = try part.cursorEntry(record).merging([cache: Array("\(summary.sequences)".utf8)]) { a, _ in a }
            try writer.commit(cursor: cursor, beforeIndexWrite: beforeCommit)
        } catch {
            try? writer.discardUncommitted()
            throw error
        }
        precondition(writer.committedDocumentCount == firstDocument + summary.sequences, "append committed a different number of documents")
        try sharded?.commit(rowCount: writer.committedRowCount, documentCount: writer.committedDocumentCount, beforeWrite: beforeManifestWrite)
        return summary
    }

    /// The store holds documents and exactly one activation column, the cache's hook, in the
    /// requested dtype. Returns that column.
    static func check(_ opened: OpenedCache, against manifest: StoreManifest, store: String, codec: ColumnCodec?) throws -> ColumnSpec {
        let file = opened.paths[0]
        guard manifest.hasDocuments else {
            throw AppendError.mismatch(store: store, file: file, position: "the whole cache", expected: "a store of documents (made by ingest or import --saelens-cache)",
                                       found: "\(store) holds bare rows without text; append .npy/.safetensors rows with --column instead")
        }
        let activations = manifest.activationColumns
        guard activations.count == 1, activations[0].name == opened.hook else {
            throw AppendError.mismatch(store: store, file: file, position: "its activation column",
                                       expected: "the store's activation column\(activations.count == 1 ? "" : "s") \(activations.map(\.name).joined(separator: ", ")) (a cache holds one hook; its rows need every column at once)",
                                       found: opened.hook)
        }
        if let codec, codec != activations[0].codec {
            throw AppendError.mismatch(store: store, file: file, position: "--dtype \(codec.rawValue)",
                                       expected: "\(activations[0].codec.rawValue), the dtype column \(opened.hook) is stored in", found: codec.rawValue)
        }
        return activations[0]
    }
}
