import ActStore

extension TokenContext {
    /// The bytes `ServeResponse.json(self)` gives (`jsonReference`), written by hand: GET
    /// /rows answers one of these per request and JSONEncoder was most of its cost.
    func json() -> [UInt8] {
        Self.json(before: before, token: token, after: after, row: location.row, document: location.document,
                  tokenIndex: location.tokenIndex, position: location.position, tokenID: location.tokenID,
                  byteStart: location.byteStart, byteEnd: location.byteEnd, source: location.source,
                  sourceIndex: location.sourceIndex)
    }

    /// A context's JSON from its fields, keys in the encoder's sorted order. A new field of
    /// `RowLocation` must be added here too (`JSONFastPathTests` fails until it is).
    static func json(before: String, token: String, after: String, row: Int, document: Int, tokenIndex: Int, position: Int,
                     tokenID: UInt32, byteStart: Int, byteEnd: Int, source: String, sourceIndex: Int) -> [UInt8] {
        var out = JSONObjectWriter(capacity: 200 + before.utf8.count + token.utf8.count + after.utf8.count + source.utf8.count)
        out.field("after", after)
        out.field("before", before)
        out.field("byteEnd", byteEnd)
        out.field("byteStart", byteStart)
        out.field("document", document)
        out.field("position", position)
        out.field("row", row)
        out.field("source", source)
        out.field("sourceIndex", sourceIndex)
        out.field("token", token)
        out.field("tokenID", tokenID)
        out.field("tokenIndex", tokenIndex)
        return out.finish()
    }

    /// The plain reference of `json()`: JSONEncoder with the API's options.
    func jsonReference() throws -> [UInt8] { try ServeResponse.json(self).body }
}
