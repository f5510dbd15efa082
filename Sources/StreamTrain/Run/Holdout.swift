import ActStore
import Foundation

/// Rows at the end of a store kept out of training, so `saestore evaluate` and `sweep` have
/// rows the SAE never saw without being told which (`train --holdout`).
public enum Holdout: Equatable, Sendable {
    /// Train on every row; nothing is held out (`--holdout 0`).
    case none
    /// This fraction of the store's rows (0 < f < 1), at most `maximumRowCount` rows.
    case fraction(Double)
    /// This many rows.
    case rows(Int)

    /// The default: the last 1% of the rows…
    public static let defaultFraction = 0.01
    /// …but never more than this many (rows): two million rows already give evaluation
    /// numbers whose sampling error is far below anything that separates two SAEs.
    public static let maximumRowCount = 2_000_000

    /// The default holdout (1%, at most `maximumRowCount` rows).
    public static let standard = Holdout.fraction(defaultFraction)

    /// Parses `--holdout`: `0` (none), a fraction such as `0.01` or `1%`, or a row count such as `50000`.
    public static func parse(_ text: String) throws -> Holdout {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%"), let percent = Double(trimmed.dropLast()), percent >= 0, percent < 100 {
            return percent == 0 ? .none : .fraction(percent / 100)
        }
        if let count = Int(trimmed), count >= 0 { return count == 0 ? .none : .rows(count) }
        if let fraction = Double(trimmed), fraction > 0, fraction < 1 { return .fraction(fraction) }
        if let fraction = Double(trimmed), fraction == 0 { return .none }
        throw StoreError.invalidArgument("--holdout takes 0 (none), a fraction in (0, 1) such as 0.01 or 1%, or a row count such as 50000; got \"\(text)\"")
    }

    /// The held-out rows at the end of `reader`'s rows, or nil for none. The start is moved
    /// back to the start of the context window it falls in (when the store has a `pos` column)
    /// so the evaluation's model passes get whole windows; a holdout that would leave no
    /// training rows is refused.
    public func heldOutRows(reader: any StoreReading) throws -> Range<Int>? {
        let total = reader.rowCount
        var count: Int
        switch self {
        case .none: return nil
        case let .fraction(f): count = min(Holdout.maximumRowCount, Int((Double(total) * f).rounded(.up)))
        case let .rows(n): count = n
        }
        count = max(count, 1)
        guard count < total else {
            throw StoreError.invalidArgument("--holdout \(count) rows would leave none of \(reader.path)'s \(total) rows to train on; lower it, or pass --holdout 0")
        }
        var start = total - count
        if reader.manifest.columnIndex(TokenColumn.position) != nil {
            let position = try reader.readIntegers(column: TokenColumn.position, rows: start..<(start + 1))[0]
            if Int(position) < start { start -= Int(position) }
        }
        return start..<total
    }
}
