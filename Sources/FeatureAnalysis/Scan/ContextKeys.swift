import ActStore

/// A 64-bit key per row naming its context: the tokens from its window's start (position 0)
/// up to and including the row's own token. By causality two rows with the same context
/// have the same activations, so the scan keeps one example per key (`FeatureTally`,
/// `QuantileSampler`) and counts the rest as folded duplicates.
///
/// Keys are chained hashes, key(r) = mix(key(r−1), token(r)), restarted at position 0, and
/// are computed for ascending rows as the scan reads them, from the `token_id` and `pos`
/// columns. A store without them (imported rows) gets each row's own number as its key, so
/// nothing is folded.
final class ContextKeys {
    private let reader: any StoreReading
    private let hasTokens: Bool
    /// The next row whose key is not yet computed, and the key of the row before it.
    private var nextRow: Int
    private var previousKey: UInt64 = 0

    /// Starts the chain for a scan whose first row is `firstRow` (reading back to its window start).
    init(reader: any StoreReading, firstRow: Int) throws {
        self.reader = reader
        hasTokens = reader.manifest.columnIndex(TokenColumn.tokenID) != nil && reader.manifest.columnIndex(TokenColumn.position) != nil
        nextRow = firstRow
        if hasTokens, firstRow < reader.rowCount {
            let position = Int(try reader.readIntegers(column: TokenColumn.position, rows: firstRow..<(firstRow + 1))[0])
            nextRow = max(0, firstRow - position)
        }
    }

    /// Whether keys name contexts (false: they are row numbers).
    var namesContexts: Bool { hasTokens }

    /// Keys of `rows` (ascending, each at or after every row asked before).
    func keys(of rows: [Int]) throws -> [UInt64] {
        guard hasTokens else { return rows.map { UInt64($0) } }
        guard let last = rows.last else { return [] }
        precondition(rows.first! >= nextRow,
                     "context keys are computed for ascending rows; row \(rows.first!) comes after \(nextRow - 1)")
        let span = nextRow..<(last + 1)
        let tokens = try reader.readIntegers(column: TokenColumn.tokenID, rows: span)
        let positions = try reader.readIntegers(column: TokenColumn.position, rows: span)
        var out: [UInt64] = []
        out.reserveCapacity(rows.count)
        var wanted = rows.makeIterator()
        var next = wanted.next()
        var key = previousKey
        for (i, row) in span.enumerated() {
            key = ContextKeys.mix(positions[i] == 0 ? ContextKeys.windowStart : key, tokens[i])
            while let n = next, n == row {
                out.append(key)
                next = wanted.next()
            }
        }
        previousKey = key
        nextRow = last + 1
        return out
    }

    /// The key a window starts from (any constant; this one is SplitMix64's increment).
    static let windowStart: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// SplitMix64's finaliser over (previous key, token).
    @inline(__always)
    static func mix(_ previous: UInt64, _ token: UInt64) -> UInt64 {
        var z = previous &* 0xD1B5_4A32_D192_ED03 &+ token &+ windowStart
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Plain definition for the tests: the key of each row from its full token list.
    static func reference(tokens: [UInt64]) -> UInt64 {
        tokens.reduce(windowStart) { mix($0, $1) }
    }
}
