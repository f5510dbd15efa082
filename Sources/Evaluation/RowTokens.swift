import ActStore
import SAELoading

/// Token metadata of a row range (token ids, positions, each row's previous token) and the
/// complete model windows inside it, rebuilt from the store's `token_id`, `pos` and `doc_id`
/// columns.
public struct RowTokens: Sendable {
    /// The rows described.
    public let rows: Range<Int>
    /// `token_id` of each row of `rows`.
    public let tokenIDs: [UInt32]
    /// `pos` of each row of `rows`.
    public let positions: [UInt32]
    /// The token of the row before in the same window, or `RowTokens.windowStart` at position 0.
    public let previousTokenIDs: [UInt32]
    /// Windows lying entirely inside `rows`, in row order. A window cut by either end of the
    /// range is left out: the model cannot be run on it without its first tokens.
    public let windows: [TokenWindow]

    /// The "previous token" of a window's first row (no real token id is this large).
    public static let windowStart = UInt32.max

    /// Reads the metadata of `rows` (and the rows just outside it, to tell whether a window
    /// ends at the range's edge). Throws when the store has no token metadata.
    public init(reader: any StoreReading, rows: Range<Int>) throws {
        for column in [TokenColumn.tokenID, TokenColumn.position, TokenColumn.docID] where reader.manifest.columnIndex(column) == nil {
            throw EvaluationError.missingTokenColumn(store: reader.path, column: column, needed: "window and token measures")
        }
        let readStart = max(rows.lowerBound - 1, 0)
        let readEnd = min(rows.upperBound + 1, reader.rowCount)
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: readStart..<readEnd)
        let pos = try reader.readIntegers(column: TokenColumn.position, rows: readStart..<readEnd)
        let docs = try reader.readIntegers(column: TokenColumn.docID, rows: readStart..<readEnd)
        func at(_ row: Int) -> Int { row - readStart }

        var tokenIDs = [UInt32](), positions = [UInt32](), previous = [UInt32]()
        tokenIDs.reserveCapacity(rows.count)
        positions.reserveCapacity(rows.count)
        previous.reserveCapacity(rows.count)
        var windows: [TokenWindow] = []
        var windowStart: Int?
        for row in rows {
            let i = at(row)
            let startsWindow = pos[i] == 0
            if i > 0, !startsWindow {
                guard docs[i] == docs[i - 1], pos[i] == pos[i - 1] + 1 else {
                    throw EvaluationError.inconsistentWindows(
                        store: reader.path, row: row,
                        detail: "position \(pos[i]) (document \(docs[i])) does not follow position \(pos[i - 1]) (document \(docs[i - 1])) of the row before")
                }
            }
            tokenIDs.append(UInt32(truncatingIfNeeded: ids[i]))
            positions.append(UInt32(truncatingIfNeeded: pos[i]))
            previous.append(startsWindow || i == 0 ? RowTokens.windowStart : UInt32(truncatingIfNeeded: ids[i - 1]))
            if startsWindow {
                if let start = windowStart { windows.append(TokenWindow(rows: start..<row)) }
                windowStart = row
            }
        }
        // The last window is complete if the store ends with it or the next row starts another.
        if let start = windowStart {
            let next = at(rows.upperBound)
            if rows.upperBound == reader.rowCount || pos[next] == 0 {
                windows.append(TokenWindow(rows: start..<rows.upperBound))
            }
        }
        self.rows = rows
        self.tokenIDs = tokenIDs
        self.positions = positions
        self.previousTokenIDs = previous
        self.windows = windows
    }

    /// Token ids of a window (its rows must lie in `rows`).
    public func tokens(of window: TokenWindow) -> ArraySlice<UInt32> {
        tokenIDs[(window.rows.lowerBound - rows.lowerBound)..<(window.rows.upperBound - rows.lowerBound)]
    }
}
