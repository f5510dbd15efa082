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
    /// End (exclusive) of each token's span in `text`'s UTF-8, one per row; equal to its
    /// `byteStarts` entry for a BOS.
    public var byteEnds: [UInt32]
    /// Column name → (rows, width) row-major values.
    public var activations: [String: [Float]]

    /// Rows of one document (or one part of it, for `StoreWriter.appendTokens`). Every per-row
    /// array needs `tokenIDs.count` entries, every span must lie inside the document's text, and
    /// every activation column of the store needs rows × width values; the writer checks all of
    /// this and throws `StoreError.invalidArgument` before buffering a row.
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

    /// Rows (tokens, BOS included) this value holds: `tokenIDs.count`.
    public var rowCount: Int { tokenIDs.count }
}
