/// One document ready to store: its text, its tokens with their byte spans, and one
/// activation vector per token for every activation column.
public struct DocumentRows: Sendable {
    /// The document's text; spans index its UTF-8 bytes.
    public var text: String
    /// Where it came from (file path or dataset name); stored once per distinct source.
    public var source: String
    /// Line or document number inside the source, 0-based.
    public var sourceIndex: Int
    /// One per row.
    public var tokenIDs: [UInt32]
    /// Position of each token in the model's context window (0 = first, BOS if prepended).
    public var positions: [UInt32]
    /// Byte span [start, end) of each token in `text`'s UTF-8; empty for a BOS.
    public var byteStarts: [UInt32]
    public var byteEnds: [UInt32]
    /// Column name → (rows, width) row-major values.
    public var activations: [String: [Float]]

    public init(text: String, source: String, sourceIndex: Int, tokenIDs: [UInt32], positions: [UInt32],
                byteStarts: [UInt32], byteEnds: [UInt32], activations: [String: [Float]]) {
        self.text = text
        self.source = source
        self.sourceIndex = sourceIndex
        self.tokenIDs = tokenIDs
        self.positions = positions
        self.byteStarts = byteStarts
        self.byteEnds = byteEnds
        self.activations = activations
    }

    public var rowCount: Int { tokenIDs.count }
}
