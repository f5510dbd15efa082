/// Row ranges as researchers write them: `A..B` (B excluded), `A..` (to the end), `..B`,
/// or a single row `A`.
public enum RowRange {
    /// Parses `A..B`, `A..`, `..B` or `A` into a half-open range of a store of `rowCount` rows
    /// (`A..A` is empty; no spaces). Throws `StoreError.invalidArgument` when the text has another
    /// form, B < A, or the range reaches outside 0..<rowCount.
    public static func parse(_ text: String, rowCount: Int) throws -> Range<Int> {
        let bad = StoreError.invalidArgument("row range \"\(text)\" is not A..B, A.., ..B or A (the store has \(rowCount) rows)")
        let parts = text.components(separatedBy: "..")
        let range: Range<Int>
        switch parts.count {
        case 1:
            guard let row = Int(text) else { throw bad }
            range = row..<row + 1
        case 2:
            let lower = parts[0].isEmpty ? 0 : Int(parts[0])
            let upper = parts[1].isEmpty ? rowCount : Int(parts[1])
            guard let lower, let upper, lower <= upper else { throw bad }
            range = lower..<upper
        default:
            throw bad
        }
        guard range.lowerBound >= 0, range.upperBound <= rowCount else {
            throw StoreError.invalidArgument("row range \(range.lowerBound)..\(range.upperBound) is outside the store's \(rowCount) rows")
        }
        return range
    }
}
