/// A token with the text around it, cut from its document by byte spans.
public struct TokenContext: Codable, Sendable, Equatable {
    public var row: Int
    public var document: Int
    public var tokenIndex: Int
    public var position: Int
    public var tokenID: UInt32
    public var byteStart: Int
    public var byteEnd: Int
    public var source: String
    public var sourceIndex: Int
    /// Text of up to `window` tokens before the token, the token, and up to `window` after.
    public var before: String
    public var token: String
    public var after: String
}

extension StoreReader {
    /// The token at `row` in `window` tokens of context on each side (within its document);
    /// nil for rows imported without text.
    public func context(row: Int, window: Int, decoder: ChunkDecoder? = nil) throws -> TokenContext? {
        guard let location = try locate(row: row, decoder: decoder) else { return nil }
        let doc = try document(location.document)
        let text = Array((try text(ofDocument: location.document) ?? "").utf8)
        let rows = max(doc.firstRow, row - window)..<min(doc.rows.upperBound, row + window + 1)
        let starts = try readIntegers(column: TokenColumn.byteStart, rows: rows, decoder: decoder)
        let ends = try readIntegers(column: TokenColumn.byteEnd, rows: rows, decoder: decoder)
        // BOS rows have an empty span at 0; only real tokens widen the window.
        let real = zip(starts, ends).filter { $0.0 < $0.1 }
        let first = min(real.map { Int($0.0) }.min() ?? location.byteStart, location.byteStart)
        let last = max(real.map { Int($0.1) }.max() ?? location.byteEnd, location.byteEnd)
        guard last <= text.count else {
            throw StoreError.corruptIndex(store: path, table: "texts", detail: "row \(row): span ends at byte \(last), the text has \(text.count)")
        }
        func string(_ range: Range<Int>) -> String { String(decoding: text[range], as: UTF8.self) }
        return TokenContext(row: row, document: location.document, tokenIndex: location.tokenIndex, position: location.position,
                            tokenID: location.tokenID, byteStart: location.byteStart, byteEnd: location.byteEnd,
                            source: location.source, sourceIndex: location.sourceIndex,
                            before: string(first..<location.byteStart), token: string(location.byteStart..<location.byteEnd),
                            after: string(location.byteEnd..<last))
    }
}
