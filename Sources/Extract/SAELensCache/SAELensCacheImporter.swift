import ActStore
import Foundation
import TensorIO

/// Brings a SAELens activation cache (`CacheActivationsRunner`'s output: Hugging Face datasets
/// Arrow shards, one row per sequence, a (context, d_in) column named by hook and int32
/// `token_ids`) into a new store with documents, so `features` and `lookup` show text.
///
/// Each cached sequence becomes one document: its text is its tokens' bytes by the model's
/// tokenizer (GPT-2's vocab.json + merges.txt, or any family's tokenizer.json), each token's
/// byte span is its place in that text, `pos` is its index in the sequence (the window position
/// the model saw). Special-token rows (`<|endoftext|>`, `<bos>`: SAELens's BOS and document
/// separators) get an empty span, as `ingest` gives its BOS rows, so they add no text. A
/// SentencePiece tokenizer's `▁` counts as the space it stands for, so such a text may start
/// with one (tokens' bytes are concatenated; no decoder strips it).
public enum SAELensCacheImporter {
    /// What an import did.
    public struct Summary: Codable, Sendable {
        /// The cache's one activation column (its hook name), also the store column's name.
        public var hook: String
        /// d_in: floats per row of that column.
        public var width: Int
        /// Tokens per cached sequence (the cache's context size), recorded in the store's manifest.
        public var contextSize: Int
        /// Sequences imported: one store document each.
        public var sequences: Int
        /// Rows imported: sequences × contextSize, one per token.
        public var rowCount: Int
        /// The Arrow files read, in import order (see `arrowFiles(cache:)`).
        public var arrowFiles: [String]
    }

    /// The cache's Arrow files in order: those `state.json` lists, else every `data-*.arrow`;
    /// or `cache` itself when it is one `.arrow` file (one shard of a cache, as `import
    /// --append` brings caches in shard by shard).
    public static func arrowFiles(cache: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        if cache.hasSuffix(".arrow"), FileManager.default.fileExists(atPath: cache, isDirectory: &isDirectory), !isDirectory.boolValue {
            return [cache]
        }
        let statePath = cache + "/state.json"
        if let data = FileManager.default.contents(atPath: statePath) {
            struct State: Decodable { struct File: Decodable { var filename: String }; var _data_files: [File] }
            do {
                return try JSONDecoder().decode(State.self, from: data)._data_files.map { cache + "/" + $0.filename }
            } catch {
                throw StoreError.invalidArgument("\(statePath) is not a datasets state.json with _data_files: \(error)")
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []
        let arrow = names.filter { $0.hasPrefix("data-") && $0.hasSuffix(".arrow") }.sorted()
        guard !arrow.isEmpty else {
            throw StoreError.invalidArgument("\(cache) holds no state.json and no data-*.arrow files: not a SAELens activation cache (a datasets save_to_disk directory) nor one of its .arrow shards")
        }
        return arrow.map { cache + "/" + $0 }
    }

    /// A cache opened: its Arrow files, its one hook, and its sequence count.
    struct OpenedCache {
        let paths: [String]
        let files: [ArrowStreamFile]
        let hook: String
        let sequenceCount: Int

        init(cache: String) throws {
            let paths = try SAELensCacheImporter.arrowFiles(cache: cache)
            let files = try paths.map { try ArrowStreamFile(path: $0) }
            let hooks = files[0].fields.map(\.name).filter { $0 != "token_ids" }
            guard files[0].fields.contains(where: { $0.name == "token_ids" }) else {
                throw StoreError.invalidArgument("\(paths[0]) has no token_ids column (columns: \(hooks.joined(separator: ", "))); without token ids the rows cannot be tied to text — import the activations with `saestore import STORE --column HOOK FILE` instead")
            }
            guard hooks.count == 1 else {
                throw StoreError.invalidArgument("\(paths[0]) has \(hooks.count) activation columns (\(hooks.joined(separator: ", "))); a SAELens cache holds one hook")
            }
            let sequenceCount = files.reduce(0) { $0 + $1.rowCount }
            guard sequenceCount > 0 else { throw StoreError.invalidArgument("\(cache) holds no sequences") }
            (self.paths, self.files, self.hook, self.sequenceCount) = (paths, files, hooks[0], sequenceCount)
        }
    }

    /// Imports `cache` into a new store at `store`; on any error nothing is left behind. The
    /// cache is recorded as the store's first part (`AppendPart`), so that appending it again
    /// with `appendCache` is refused.
    public static func importCache(cache: String, store: String, tokenizer: any TextTokenizer, model: String?,
                                   codec: ColumnCodec, compressionLevel: Int = 3, chunkRows: Int = 8192,
                                   progress: ((_ sequencesDone: Int, _ sequencesTotal: Int) -> Void)? = nil) throws -> Summary {
        guard codec.isFloat else { throw StoreError.invalidArgument("activations are stored as f32, f16, bf16 or int8, not \(codec.rawValue)") }
        let opened = try OpenedCache(cache: cache)
        let (paths, files, hook, total) = (opened.paths, opened.files, opened.hook, opened.sequenceCount)
        if FileManager.default.fileExists(atPath: store) {
            throw StoreError.alreadyExists(path: store)
        }
        let part = try AppendPart(files: paths)
        var summary = Summary(hook: hook, width: 0, contextSize: 0, sequences: 0, rowCount: 0, arrowFiles: paths)
        do {
            var writer: StoreWriter?
            for (f, file) in files.enumerated() {
                for batch in 0..<file.batchCount {
                    let (acts, tokens) = try sequences(file, hook: hook, batch: batch)
                    if writer == nil {
                        summary.width = acts.width
                        summary.contextSize = acts.context
                        writer = try StoreWriter.create(at: store, manifest: StoreManifest(
                            columns: TokenColumn.all + [ColumnSpec(name: hook, width: acts.width, codec: codec, compressionLevel: compressionLevel)],
                            chunkRows: chunkRows, hasDocuments: true, model: model, tokenizer: tokenizer.manifestName, contextSize: acts.context,
                            notes: ["imported_from": cache, "import": "saelens-cache"]))
                    }
                    guard acts.width == summary.width, acts.context == summary.contextSize else {
                        throw StoreError.invalidArgument("\(paths[f]) batch \(batch): \(hook) is (\(acts.context), \(acts.width)) per sequence, the first file's is (\(summary.contextSize), \(summary.width))")
                    }
                    for s in 0..<acts.rows {
                        let ids = Array(tokens[s * acts.context..<(s + 1) * acts.context])
                        var doc = try document(ids: ids, tokenizer: tokenizer, source: cache, index: summary.sequences, file: paths[f])
                        doc.activations[hook] = Array(acts.values[s * acts.context * acts.width..<(s + 1) * acts.context * acts.width])
                        try writer!.append(doc)
                        summary.sequences += 1
                        summary.rowCount += ids.count
                        if summary.sequences % 256 == 0 { try writer!.commit(cursor: [cache: Array("\(summary.sequences)".utf8)]) }
                    }
                    progress?(summary.sequences, total)
                }
            }
            let record = AppendRecord(files: paths, firstRow: 0, rowCount: summary.rowCount, documentCount: summary.sequences)
            try writer!.commit(cursor: try part.cursorEntry(record).merging([cache: Array("\(summary.sequences)".utf8)]) { a, _ in a })
        } catch {
            try? FileManager.default.removeItem(atPath: store)
            throw error
        }
        return summary
    }

    /// One batch's activations as f32 (sequences, context, width) and token ids (sequences, context).
    static func sequences(_ file: ArrowStreamFile, hook: String, batch: Int) throws -> ((rows: Int, context: Int, width: Int, values: [Float]), [UInt32]) {
        let acts = try file.denseColumn(hook, batch: batch)
        guard acts.shape.count == 3 else {
            throw StoreError.invalidArgument("\(file.path): \(hook) is not (sequences, context, d_in): shape \(acts.shape)")
        }
        let values: [Float]
        switch acts.leaf {
        case .float(32):
            values = acts.bytes.withUnsafeBytes { raw in (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        case .float(16):
            values = acts.bytes.withUnsafeBytes { raw in (0..<raw.count / 2).map { HalfConversion.float(fromF16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) } }
        default:
            throw StoreError.invalidArgument("\(file.path): \(hook) holds \(acts.leaf) values; a SAELens cache holds float32 or float16")
        }
        let ids = try file.denseColumn("token_ids", batch: batch)
        guard ids.shape.count == 2, ids.shape[0] == acts.shape[0], ids.shape[1] == acts.shape[1] else {
            throw StoreError.invalidArgument("\(file.path) batch \(batch): token_ids has shape \(ids.shape), \(hook) has \(acts.shape)")
        }
        let tokens: [UInt32]
        switch ids.leaf {
        case .int(32, _):
            tokens = ids.bytes.withUnsafeBytes { raw in (0..<raw.count / 4).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) } }
        case .int(64, _):
            tokens = try ids.bytes.withUnsafeBytes { raw in try (0..<raw.count / 8).map { i in
                let v = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                guard v >= 0, v <= Int64(UInt32.max) else { throw StoreError.invalidArgument("\(file.path) batch \(batch): token id \(v) at value \(i) is not a token id") }
                return UInt32(v)
            } }
        default:
            throw StoreError.invalidArgument("\(file.path): token_ids holds \(ids.leaf) values, expected int32")
        }
        return ((acts.shape[0], acts.shape[1], acts.shape[2], values), tokens)
    }

    /// A sequence's document: decoded text, each token's byte span in it, positions 0..<context.
    static func document(ids: [UInt32], tokenizer: any TextTokenizer, source: String, index: Int, file: String) throws -> DocumentRows {
        var bytes: [UInt8] = []
        var starts: [UInt32] = [], ends: [UInt32] = []
        for (position, id) in ids.enumerated() {
            guard tokenizer.contains(id) else {
                throw StoreError.invalidArgument("\(file): sequence \(index) position \(position) holds token id \(id), outside the tokenizer's vocabulary; pass the cache's model with --model")
            }
            starts.append(UInt32(bytes.count))
            if !tokenizer.isSpecialToken(id) { bytes += tokenizer.tokenBytes(id) }
            ends.append(UInt32(bytes.count))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.utf8.count != bytes.count {
            // A multi-byte character cut at the window's edge: the text has U+FFFD for it, and
            // spans are re-measured on prefixes so they stay within the text and in order.
            let limit = UInt32(text.utf8.count)
            var last: UInt32 = 0
            for i in ids.indices {
                let start = min(max(last, UInt32(String(decoding: bytes[..<Int(starts[i])], as: UTF8.self).utf8.count)), limit)
                let end = min(max(start, UInt32(String(decoding: bytes[..<Int(ends[i])], as: UTF8.self).utf8.count)), limit)
                starts[i] = start
                ends[i] = end
                last = end
            }
        }
        return DocumentRows(text: text, source: source, sourceIndex: index, tokenIDs: ids, positions: (0..<ids.count).map { UInt32($0) },
                            byteStarts: starts, byteEnds: ends, activations: [:])
    }
}
