/// A row resolved back to its text: the document, the token, and where it sits.
public struct RowLocation: Codable, Sendable, Equatable {
    /// The row looked up (global, in a sharded store).
    public var row: Int
    /// Number of the document holding the row (its `docs` key; global, in a sharded store).
    public var document: Int
    /// Index of the token within its document (row - document's first row).
    public var tokenIndex: Int
    /// Position in the model's context window the row was computed at.
    public var position: Int
    /// The token's id (the `token_id` column).
    public var tokenID: UInt32
    /// Byte span [start, end) of the token in the document's UTF-8 text.
    public var byteStart: Int
    /// End (exclusive) of that span; equal to `byteStart` for a BOS row.
    public var byteEnd: Int
    /// Name of the document's source: the corpus file path or dataset name given at ingest.
    public var source: String
    /// The document's line (JSONL) or document number inside its source, 0-based.
    public var sourceIndex: Int
}

extension StoreReading {
    /// Resolves `row` to its document and token (nil for rows imported without documents).
    public func locate(row: Int, decoder: ChunkDecoder? = nil) throws -> RowLocation? {
        guard let doc = try documentID(containing: row) else { return nil }
        let record = try document(doc)
        guard record.rows.contains(row) else {
            throw StoreError.corruptIndex(store: path, table: "rowdoc", detail: "row \(row) maps to document \(doc), which covers rows \(record.rows)")
        }
        let one = row..<row + 1
        let tokenID = try readIntegers(column: TokenColumn.tokenID, rows: one, decoder: decoder)[0]
        let position = try readIntegers(column: TokenColumn.position, rows: one, decoder: decoder)[0]
        let start = try readIntegers(column: TokenColumn.byteStart, rows: one, decoder: decoder)[0]
        let end = try readIntegers(column: TokenColumn.byteEnd, rows: one, decoder: decoder)[0]
        return RowLocation(row: row, document: doc, tokenIndex: row - record.firstRow, position: Int(position),
                           tokenID: UInt32(tokenID), byteStart: Int(start), byteEnd: Int(end),
                           source: try sourceName(record.sourceID), sourceIndex: record.sourceIndex)
    }

    /// The row of token `tokenIndex` of document `doc`.
    public func row(document doc: Int, tokenIndex: Int) throws -> Int {
        let record = try document(doc)
        guard tokenIndex >= 0, tokenIndex < record.tokenCount else {
            throw StoreError.invalidArgument("document \(doc) has \(record.tokenCount) tokens; token \(tokenIndex) is out of range")
        }
        return record.firstRow + tokenIndex
    }
}
