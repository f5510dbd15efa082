import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Appends documents (or bare rows) to a store and commits them atomically.
///
/// Commit protocol (docs/FORMAT.md): chunk bytes are appended to the tail segment as rows
/// fill chunks; `commit` writes the last partial chunk, fsyncs the segment, then records
/// every new chunk, document, text, source and the caller's cursor in ONE LMDB write
/// transaction. A process killed at any instant leaves the last committed state; the
/// bytes it appended after that are cut off by the next writer to open the store.
/// One writer per store at a time (an flock on `writer.lock`); readers may run alongside.
public final class StoreWriter {
    /// The store directory.
    public let path: String
    /// The store's manifest; `addColumn` replaces it once the new column is committed.
    public internal(set) var manifest: StoreManifest
    let env: LMDBEnvironment
    private let lockFD: Int32

    // Internal, not private: StoreWriter+AddColumn commits a whole column through these.
    var committed: CommitState
    var appender: SegmentAppender
    var createdSegmentSinceCommit = false
    private var failure: Error?

    var buffers: [ColumnBuffer]
    var bufferedRowCount = 0
    var pendingRowCount = 0
    var pendingChunks: [(key: [UInt8], record: ChunkRecord)] = []
    var pendingChunkCount = 0
    /// 1 while the rows of the last committed chunk are back in `buffers` to be cut again
    /// with the rows appended after them (StoreWriter+Append): the next chunk cut replaces it.
    var reopenedChunkCount = 0
    private var pendingDocs: [(id: Int, record: DocumentRecord, text: [UInt8])] = []
    private var pendingSources: [(id: Int, name: String)] = []
    private var sourceIDs: [String: Int] = [:]
    private var openDocument: (id: Int, record: DocumentRecord, text: [UInt8], source: String)?

    private var compressors: [Int: ZstdCompressor] = [:]
    private let textCompressor = ZstdCompressor(level: 3)
    var payload: [UInt8] = []
    private var compressed: [UInt8] = []

    /// Rows committed so far.
    public var committedRowCount: Int { committed.rowCount }
    /// Documents committed so far.
    public var committedDocumentCount: Int { committed.docCount }
    /// Rows appended since the last commit (lost if the process dies before `commit`).
    public var uncommittedRowCount: Int { pendingRowCount }
    /// Documents closed with `endDocument` (or `append`) since the last commit; a document still
    /// open is not counted.
    public var uncommittedDocumentCount: Int { pendingDocs.count }
    /// The document between `beginDocument` and `endDocument`, if any.
    var openDocumentID: Int? { openDocument?.id }

    init(path: String, env: LMDBEnvironment, lockFD: Int32, manifest: StoreManifest, state: CommitState) throws {
        self.path = path
        self.env = env
        self.lockFD = lockFD
        self.manifest = manifest
        committed = state
        appender = try SegmentAppender(store: path, segment: state.tailSegment, committedByteCount: state.tailSegmentByteCount)
        createdSegmentSinceCommit = state.tailSegmentByteCount == 0
        buffers = manifest.columns.map { ColumnBuffer(spec: $0) }
        sourceIDs = try StoreDirectory.mapIndexErrors(store: path, table: "sources") {
            try env.withTransaction(write: false) { txn in
                var ids: [String: Int] = [:]
                try txn.scan(.sources) { key, value in
                    guard let id = IndexKey.decodeU64(key) else { throw RecordReader.Short() }
                    ids[String(decoding: value, as: UTF8.self)] = Int(id)
                    return true
                }
                return ids
            }
        }
    }

    deinit {
        close(lockFD)
    }

    /// The cursor each source was committed with (what the last commit said was done).
    public func committedCursor() throws -> [String: [UInt8]] {
        try StoreDirectory.readCursor(env, store: path)
    }

    // MARK: append

    /// Adds a document's rows; returns its document id. Nothing is durable until `commit`.
    @discardableResult
    public func append(_ doc: DocumentRows) throws -> Int {
        let id = try beginDocument(text: doc.text, source: doc.source, sourceIndex: doc.sourceIndex)
        do {
            try appendTokens(doc)
            try endDocument()
        } catch {
            if failure == nil { openDocument = nil }  // rejected before any row went in
            throw error
        }
        return id
    }

    /// Starts a document whose rows then arrive in one or more `appendTokens` calls, so a
    /// long document never has to be held in memory whole. A commit may not happen between
    /// `beginDocument` and `endDocument`: a document is never half in.
    @discardableResult
    public func beginDocument(text: String, source: String, sourceIndex: Int) throws -> Int {
        try checkHealthy()
        guard manifest.hasDocuments else {
            throw StoreError.invalidArgument("\(path) holds bare imported rows; documents cannot be added to it")
        }
        guard openDocument == nil else {
            throw StoreError.invalidArgument("beginDocument while document \(openDocument!.id) is still open")
        }
        let docID = committed.docCount + pendingDocs.count
        let textBytes = Array(text.utf8)
        let compressedText = textBytes.isEmpty ? [] : try textCompressor.compress(textBytes)
        let record = DocumentRecord(firstRow: committed.rowCount + pendingRowCount, tokenCount: 0,
                                    sourceID: sourceID(for: source), sourceIndex: sourceIndex, textByteCount: textBytes.count)
        openDocument = (docID, record, compressedText, source)
        return docID
    }

    /// Rows of the open document: `part`'s tokens and activations (its text, source and
    /// index are ignored here; they were given to `beginDocument`).
    public func appendTokens(_ part: DocumentRows) throws {
        try checkHealthy()
        guard let open = openDocument else { throw StoreError.invalidArgument("appendTokens without beginDocument") }
        do {
            try validate(part, textByteCount: open.record.textByteCount, source: open.source, index: open.record.sourceIndex)
        } catch {
            // Earlier parts of this document are already buffered: it cannot be taken back
            // without dropping everything uncommitted.
            if open.record.tokenCount > 0 { failure = error }
            throw error
        }
        for (index, spec) in manifest.columns.enumerated() {
            switch spec.name {
            case TokenColumn.tokenID: buffers[index].append(integers: part.tokenIDs)
            case TokenColumn.docID: buffers[index].append(repeating: UInt64(open.id), count: part.rowCount)
            case TokenColumn.position: buffers[index].append(integers: part.positions)
            case TokenColumn.byteStart: buffers[index].append(integers: part.byteStarts)
            case TokenColumn.byteEnd: buffers[index].append(integers: part.byteEnds)
            default: buffers[index].append(floats: part.activations[spec.name]!)
            }
        }
        openDocument!.record.tokenCount += part.rowCount
        bufferedRowCount += part.rowCount
        pendingRowCount += part.rowCount
        try cutFullChunks()
    }

    /// Closes the open document; it is committed with the next `commit`.
    public func endDocument() throws {
        try checkHealthy()
        guard let open = openDocument else { throw StoreError.invalidArgument("endDocument without beginDocument") }
        guard open.record.tokenCount > 0 else {
            throw StoreError.invalidArgument("document \(open.record.sourceIndex) of \(open.source) has no tokens")
        }
        pendingDocs.append((open.id, open.record, open.text))
        openDocument = nil
    }

    /// Adds bare rows (no documents) to a store created for imports.
    /// `columns`: every column's (rowCount, width) row-major values.
    public func appendRows(_ columns: [String: [Float]], rowCount: Int) throws {
        try checkHealthy()
        guard !manifest.hasDocuments else {
            throw StoreError.invalidArgument("\(path) holds documents; bare rows cannot be appended to it")
        }
        for (index, spec) in manifest.columns.enumerated() {
            guard let values = columns[spec.name] else {
                throw StoreError.invalidArgument("appendRows: no values for column \(spec.name)")
            }
            guard values.count == rowCount * spec.width else {
                throw StoreError.invalidArgument("appendRows: column \(spec.name) has \(values.count) values, expected \(rowCount) rows x \(spec.width)")
            }
            buffers[index].append(floats: values)
        }
        bufferedRowCount += rowCount
        pendingRowCount += rowCount
        try cutFullChunks()
    }

    private func validate(_ doc: DocumentRows, textByteCount: Int, source: String, index: Int) throws {
        let n = doc.rowCount
        let where_ = "document \(index) of \(source)"
        guard doc.positions.count == n, doc.byteStarts.count == n, doc.byteEnds.count == n else {
            throw StoreError.invalidArgument("\(where_): \(n) token ids but \(doc.positions.count) positions, \(doc.byteStarts.count)/\(doc.byteEnds.count) span bounds")
        }
        for i in 0..<n where doc.byteStarts[i] > doc.byteEnds[i] || Int(doc.byteEnds[i]) > textByteCount {
            throw StoreError.invalidArgument("\(where_): token \(i) span \(doc.byteStarts[i])..<\(doc.byteEnds[i]) is outside its \(textByteCount)-byte text")
        }
        for spec in manifest.columns where !TokenColumn.isMetadata(spec.name) {
            guard let values = doc.activations[spec.name] else {
                throw StoreError.invalidArgument("\(where_): no activations for column \(spec.name)")
            }
            guard values.count == n * spec.width else {
                throw StoreError.invalidArgument("\(where_): column \(spec.name) has \(values.count) values, expected \(n) rows x \(spec.width)")
            }
        }
    }

    private func sourceID(for source: String) -> Int {
        if let id = sourceIDs[source] { return id }
        let id = sourceIDs.count
        sourceIDs[source] = id
        pendingSources.append((id, source))
        return id
    }

    private func cutFullChunks() throws {
        while bufferedRowCount >= manifest.chunkRows {
            try cutChunk(rowCount: manifest.chunkRows)
        }
    }

    /// Encodes the first `rowCount` buffered rows of every column as chunk `chunk` and
    /// appends them to the tail segment.
    private func cutChunk(rowCount: Int) throws {
        let chunk = committed.chunkCount - reopenedChunkCount + pendingChunkCount
        let firstRow = committed.rowCount + pendingRowCount - bufferedRowCount
        do {
            for (column, spec) in manifest.columns.enumerated() {
                try buffers[column].encodePrefix(rowCount: rowCount, spec: spec, firstRow: firstRow, into: &payload)
                let record = try appendChunkBytes(spec: spec, firstRow: firstRow, rowCount: rowCount)
                pendingChunks.append((IndexKey.chunk(column: column, chunk: chunk), record))
                buffers[column].removePrefix(rowCount: rowCount)
            }
        } catch {
            failure = error
            throw error
        }
        bufferedRowCount -= rowCount
        pendingChunkCount += 1
    }

    /// Compresses `payload` and appends it to the tail segment (rolling to a new segment
    /// when the current one is past its target size).
    func appendChunkBytes(spec: ColumnSpec, firstRow: Int, rowCount: Int) throws -> ChunkRecord {
        let compressor = compressors[spec.compressionLevel] ?? {
            let c = ZstdCompressor(level: spec.compressionLevel)
            compressors[spec.compressionLevel] = c
            return c
        }()
        compressed.removeAll(keepingCapacity: true)
        try payload.withUnsafeBytes { try compressor.compress($0, appendingTo: &compressed) }
        if appender.byteCount + compressed.count > manifest.segmentTargetBytes && appender.byteCount > SegmentFile.headerByteCount {
            try appender.sync()
            appender = try SegmentAppender(store: path, segment: appender.segment + 1, committedByteCount: 0)
            createdSegmentSinceCommit = true
        }
        let offset = try compressed.withUnsafeBytes { try appender.append($0) }
        return ChunkRecord(codec: spec.codec, byteShuffle: spec.byteShuffle, segment: appender.segment, byteOffset: offset,
                           compressedByteCount: compressed.count, rawByteCount: payload.count, firstRow: firstRow,
                           rowCount: rowCount, checksum: CRC32C.checksum(compressed))
    }

    // MARK: commit

    /// Makes everything appended so far durable, together with `cursor` (per source, opaque
    /// bytes saying how far that source has been read), in one atomic step.
    /// `beforeIndexWrite` runs once the chunk bytes are synced and just before the index
    /// transaction that is the commit point: a last check that may still refuse the commit
    /// (throwing leaves the store at its previous commit), and the place fault-injection tests
    /// kill a writer whose bytes are durable but not yet committed.
    public func commit(cursor: [String: [UInt8]] = [:], beforeIndexWrite: (() throws -> Void)? = nil) throws {
        try checkHealthy()
        if let open = openDocument {
            throw StoreError.invalidArgument("commit while document \(open.id) is open: end it first (a document is never half in)")
        }
        if bufferedRowCount > 0 { try cutChunk(rowCount: bufferedRowCount) }
        var state = committed
        state.rowCount += pendingRowCount
        state.docCount += pendingDocs.count
        state.chunkCount += pendingChunkCount - reopenedChunkCount
        state.tailSegment = appender.segment
        state.tailSegmentByteCount = appender.byteCount
        state.commitCount += 1
        do {
            try appender.sync()
            if createdSegmentSinceCommit { try StoreDirectory.syncDirectory(StoreDirectory.segmentsPath(path)) }
            try beforeIndexWrite?()
            try writeIndex(state: state, cursor: cursor, manifest: nil)
        } catch {
            failure = error
            throw error
        }
        committed = state
        createdSegmentSinceCommit = false
        pendingRowCount = 0
        pendingChunkCount = 0
        reopenedChunkCount = 0
        pendingChunks.removeAll(keepingCapacity: true)
        pendingDocs.removeAll(keepingCapacity: true)
        pendingSources.removeAll()
    }

    func writeIndex(state: CommitState, cursor: [String: [UInt8]], manifest newManifest: StoreManifest?) throws {
        try StoreDirectory.mapIndexErrors(store: path, table: "(commit)") {
            try env.withTransaction(write: true) { txn in
                for (key, record) in pendingChunks { try txn.put(.chunks, key, record.encoded()) }
                for (id, record, text) in pendingDocs {
                    let key = IndexKey.u64(UInt64(id))
                    try txn.put(.docs, key, record.encoded())
                    try txn.put(.rowdoc, IndexKey.u64(UInt64(record.firstRow)), key)
                    if !text.isEmpty { try txn.put(.texts, key, text) }
                }
                for (id, name) in pendingSources { try txn.put(.sources, IndexKey.u64(UInt64(id)), Array(name.utf8)) }
                for (source, position) in cursor { try txn.put(.cursor, Array(source.utf8), position) }
                if let newManifest {
                    try txn.put(.meta, StoreFormat.MetaKey.manifest, Array(try JSONEncoder.sorted.encode(newManifest)))
                }
                try txn.put(.meta, StoreFormat.MetaKey.state, state.encoded())
            }
        }
    }

    /// Drops everything appended since the last commit (segment bytes included).
    public func discardUncommitted() throws {
        appender = try SegmentAppender(store: path, segment: committed.tailSegment, committedByteCount: committed.tailSegmentByteCount)
        for segment in StoreDirectory.segmentNumbers(path) where segment > committed.tailSegment {
            unlink(SegmentFile.path(store: path, segment: segment))
        }
        buffers = manifest.columns.map { ColumnBuffer(spec: $0) }
        bufferedRowCount = 0
        pendingRowCount = 0
        pendingChunkCount = 0
        reopenedChunkCount = 0
        pendingChunks.removeAll()
        pendingDocs.removeAll()
        for (_, name) in pendingSources { sourceIDs[name] = nil }
        pendingSources.removeAll()
        openDocument = nil
        failure = nil
    }

    func checkHealthy() throws {
        if let failure {
            throw StoreError.invalidArgument("the writer of \(path) stopped after an error (\(failure)); reopen the store to continue from its last commit")
        }
    }
}
