/// One model context window as the store holds it: the rows from a `pos` 0 row up to the
/// next `pos` 0 row (or the document's or store's end).
public struct TokenWindow: Equatable, Sendable {
    /// Global rows of the window, in order; row `rows.lowerBound` has position 0.
    public var rows: Range<Int>

    /// Takes `rows` as given: `rows.lowerBound` must be a position-0 row (`RowTokens` builds windows only so).
    public init(rows: Range<Int>) { self.rows = rows }

    /// Tokens in the window (its sequence length T).
    public var tokenCount: Int { rows.count }
}
