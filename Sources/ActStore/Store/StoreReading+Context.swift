/// A token with the text around it, cut from its document by byte spans: the row's location
/// plus the text. Its fields read through to the location (`context.row`), and it encodes
/// flat, as one object with the location's keys and `before`, `token`, `after`.
@dynamicMemberLookup
public struct TokenContext: Codable, Sendable, Equatable {
    /// Where the token sits: row, document, position, byte span, source.
    public var location: RowLocation
    /// Text of up to `window` tokens before the token, the token, and up to `window` after.
    public var before: String
    /// The token's own text, its byte span cut from the document (empty for a BOS row).
    public var token: String
    /// Text from the token's end to the end of the last context token after it (within the
    /// document).
    public var after: String

    /// A context from its parts; `StoreReading.context(row:window:decoder:)` cuts them from the
    /// store.
    public init(location: RowLocation, before: String, token: String, after: String) {
        self.location = location
        self.before = before
        self.token = token
        self.after = after
    }

    /// Reads a location field straight off the context: `context.row`, `context.byteStart`.
    public subscript<Value>(dynamicMember field: KeyPath<RowLocation, Value>) -> Value { location[keyPath: field] }

    private enum TextKeys: String, CodingKey { case before, token, after }

    /// Decodes the flat form: the location's keys and `before`, `token`, `after` in one object.
    public init(from decoder: Decoder) throws {
        location = try RowLocation(from: decoder)
        let text = try decoder.container(keyedBy: TextKeys.self)
        before = try text.decode(String.self, forKey: .before)
        token = try text.decode(String.self, forKey: .token)
        after = try text.decode(String.self, forKey: .after)
    }

    /// Encodes flat: the location's keys and `before`, `token`, `after` in one object, not a nested
    /// `location`.
    public func encode(to encoder: Encoder) throws {
        try location.encode(to: encoder)
        var text = encoder.container(keyedBy: TextKeys.self)
        try text.encode(before, forKey: .before)
        try text.encode(token, forKey: .token)
        try text.encode(after, forKey: .after)
    }
}

extension StoreReading {
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
        return TokenContext(location: location, before: string(first..<location.byteStart),
                            token: string(location.byteStart..<location.byteEnd), after: string(location.byteEnd..<last))
    }
}
