import ActStore
import Foundation

/// Documents held whole in memory for GET /rows: each one's text (decompressed), source and
/// per-row token id, position and byte span, so a row whose document is here is answered with
/// no index read, no chunk decode and no text decompression — cheap enough, and free of disk
/// access, to answer on the event loop (`ServeAPI.respondFromMemory`). A document is loaded
/// off the loop, on the first request for one of its rows. Bounded by `budgetBytes`: past it the
/// cache starts over (the documents of a session's browsing are few; a scan of every row is not
/// what this is for). Thread-safe. The server never calls `refresh()` on its reader, so a
/// loaded document never goes stale.
///
/// Its reference is `StoreReading.context(row:window:)` (what `saestore lookup` prints) through
/// JSONEncoder: `Document.contextJSON` cuts the same spans the same way, and `JSONFastPathTests`
/// holds the two byte-equal on every row of the test store at several windows.
final class DocumentContextCache: @unchecked Sendable {
    /// One document's rows and text.
    struct Document: Sendable {
        /// The document's number (its `docs` key).
        let document: Int
        /// Its rows, BOS rows included.
        let rows: Range<Int>
        /// Its source's name and its index inside the source.
        let source: String
        let sourceIndex: Int
        /// Its text's UTF-8 bytes; spans index these.
        let text: [UInt8]
        /// Per row of `rows`: the token_id, position, byte_start and byte_end columns.
        let tokenIDs: [UInt64]
        let positions: [UInt64]
        let byteStarts: [UInt64]
        let byteEnds: [UInt64]

        /// Bytes this entry keeps in memory.
        var byteCount: Int { text.count + source.utf8.count + 32 * rows.count + 128 }

        /// The JSON of the token at `row` in `window` tokens of context each side: the bytes
        /// GET /rows answered through `StoreReading.context(row:window:)` (the reference) and
        /// JSONEncoder, the spans cut the same way.
        func contextJSON(row: Int, window: Int, store: String) throws -> [UInt8] {
            let i = row - rows.lowerBound
            let byteStart = Int(byteStarts[i]), byteEnd = Int(byteEnds[i])
            let lo = max(rows.lowerBound, row - window) - rows.lowerBound
            let hi = min(rows.upperBound, row + window + 1) - rows.lowerBound
            var first = byteStart, last = byteEnd
            // BOS rows have an empty span at 0; only real tokens widen the window.
            for j in lo..<hi where byteStarts[j] < byteEnds[j] {
                first = min(first, Int(byteStarts[j]))
                last = max(last, Int(byteEnds[j]))
            }
            guard last <= text.count else {
                throw StoreError.corruptIndex(store: store, table: "texts", detail: "row \(row): span ends at byte \(last), the text has \(text.count)")
            }
            // String(decoding:) as the reference does: a span that splits a character reads as U+FFFD.
            func string(_ range: Range<Int>) -> String { String(decoding: text[range], as: UTF8.self) }
            return TokenContext.json(before: string(first..<byteStart), token: string(byteStart..<byteEnd), after: string(byteEnd..<last),
                                     row: row, document: document, tokenIndex: i, position: Int(positions[i]),
                                     tokenID: UInt32(tokenIDs[i]), byteStart: byteStart, byteEnd: byteEnd,
                                     source: source, sourceIndex: sourceIndex)
        }
    }

    let reader: any StoreReading
    /// Most bytes kept; one document may take at most an eighth of it (a longer one is read
    /// through the reference path on every request instead).
    let budgetBytes: Int
    private let lock = NSLock()
    /// Loaded documents ascending by first row (documents do not overlap): a row's is found by
    /// binary search.
    private var documents: [Document] = []
    private var bytes = 0

    /// An empty cache over `reader` of at most `budgetBytes`.
    init(reader: any StoreReading, budgetBytes: Int = 32 << 20) {
        self.reader = reader
        self.budgetBytes = budgetBytes
    }

    /// The loaded document holding `row`, without touching the store (nil: not loaded).
    func cached(containing row: Int) -> Document? {
        lock.withLock {
            var lo = 0, hi = documents.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if documents[mid].rows.upperBound <= row { lo = mid + 1 } else { hi = mid }
            }
            return lo < documents.count && documents[lo].rows.contains(row) ? documents[lo] : nil
        }
    }

    /// The document holding `row`, read from the store and kept unless it is too large; nil
    /// when the row came without a document or the document is over the per-document bound.
    /// Reads the store: call it off the event loop.
    func load(containing row: Int) throws -> Document? {
        if let cached = cached(containing: row) { return cached }
        guard let doc = try reader.documentID(containing: row) else { return nil }
        let record = try reader.document(doc)
        let rows = record.firstRow..<record.firstRow + record.tokenCount
        guard rows.contains(row) else {
            throw StoreError.corruptIndex(store: reader.path, table: "rowdoc", detail: "row \(row) maps to document \(doc), which covers rows \(rows)")
        }
        guard record.textByteCount + 32 * rows.count <= budgetBytes / 8 else { return nil }
        let document = Document(
            document: doc, rows: rows, source: try reader.sourceName(record.sourceID), sourceIndex: record.sourceIndex,
            text: Array((try reader.text(ofDocument: doc) ?? "").utf8),
            tokenIDs: try reader.readIntegers(column: TokenColumn.tokenID, rows: rows),
            positions: try reader.readIntegers(column: TokenColumn.position, rows: rows),
            byteStarts: try reader.readIntegers(column: TokenColumn.byteStart, rows: rows),
            byteEnds: try reader.readIntegers(column: TokenColumn.byteEnd, rows: rows))
        lock.withLock {
            let at = documents.firstIndex { $0.rows.lowerBound >= rows.lowerBound } ?? documents.count
            // Another request may have loaded it meanwhile.
            if at < documents.count, documents[at].rows == rows { return }
            if bytes + document.byteCount > budgetBytes {
                documents.removeAll(keepingCapacity: true)
                bytes = 0
                documents.append(document)
            } else {
                documents.insert(document, at: at)
            }
            bytes += document.byteCount
        }
        return document
    }
}
