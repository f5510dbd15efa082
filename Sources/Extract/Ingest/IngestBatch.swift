/// The windows of one forward pass and where each window's rows sit in its activations.
///
/// Packed (the default): windows back to back at their own lengths, so no position is computed
/// that is not stored. Padded (the plain reference the packed path is tested against): every
/// window padded with <|endoftext|> to the longest one, as a (B,T) batch; the padded rows are
/// computed and dropped. Causal attention makes a real row the same either way.
struct IngestBatch {
    /// A window: `tokens` of document `doc` (absolute pending number), its last when `isLast`.
    struct Window {
        var doc: Int
        var tokens: Range<Int>
        var isLast: Bool
    }

    var windows: [Window]
    /// Token ids as the forward takes them.
    var tokenIDs: [UInt32]
    /// Packed: each window's length, BOS included; padded: B copies of T.
    var sequenceLengths: [Int]
    /// First activation row of each window.
    var firstRows: [Int]

    /// Rows the forward computes.
    var computedRowCount: Int { sequenceLengths.reduce(0, +) }

    /// `windows` laid out packed or padded; `ids(doc, i)` is the id of token i of a pending document.
    init(windows: [Window], bos: Bool, bosTokenID: UInt32 = GPT2Tokenizer.endOfTextID, padded: Bool, ids: (_ doc: Int, _ token: Int) -> UInt32) {
        self.windows = windows
        let lengths = windows.map { $0.tokens.count + (bos ? 1 : 0) }
        let T = lengths.max() ?? 0
        sequenceLengths = padded ? Array(repeating: T, count: windows.count) : lengths
        var firstRows: [Int] = []
        var row = 0
        for length in sequenceLengths {
            firstRows.append(row)
            row += length
        }
        self.firstRows = firstRows
        var tokenIDs = [UInt32](repeating: bosTokenID, count: row)  // BOS rows, and the padded reference's padding
        for (w, window) in windows.enumerated() {
            let start = firstRows[w] + (bos ? 1 : 0)
            for (t, i) in window.tokens.enumerated() { tokenIDs[start + t] = ids(window.doc, i) }
        }
        self.tokenIDs = tokenIDs
    }
}
