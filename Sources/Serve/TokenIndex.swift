import ActStore
import Foundation

/// Every row's token id in memory, with the rows of each token id grouped (a counting sort by
/// id), and each row's document end: what /search needs to find a token or a token sequence
/// without reading the store again. Built by one sequential read of the token_id column
/// (4 bytes a row in token ids, 8 in the grouped rows, 8 per document).
struct TokenIndex {
    /// token_id of every row.
    let tokenIDs: [UInt32]
    /// Rows grouped by token id, ascending within a group: group t is rows[starts[t]..<starts[t+1]].
    let rows: [Int]
    let starts: [Int]
    /// First row of each document, ascending, then the row count (a sequence may not cross one).
    let documentStarts: [Int]

    init(reader: any StoreReading) throws {
        let n = reader.rowCount
        var ids: [UInt32] = []
        ids.reserveCapacity(n)
        let decoder = reader.makeDecoder()
        let step = 65_536
        for start in stride(from: 0, to: n, by: step) {
            ids += try reader.readIntegers(column: TokenColumn.tokenID, rows: start..<min(start + step, n), decoder: decoder)
                .map { UInt32(truncatingIfNeeded: $0) }
        }
        let vocabulary = Int(ids.max() ?? 0) + 1
        var counts = [Int](repeating: 0, count: vocabulary + 1)
        for id in ids { counts[Int(id) + 1] += 1 }
        for t in 0..<vocabulary { counts[t + 1] += counts[t] }
        var next = counts
        var grouped = [Int](repeating: 0, count: n)
        for (row, id) in ids.enumerated() {
            grouped[next[Int(id)]] = row
            next[Int(id)] += 1
        }
        var docs: [Int] = []
        if reader.manifest.hasDocuments {
            docs.reserveCapacity(reader.documentCount + 1)
            for d in 0..<reader.documentCount { docs.append(try reader.document(d).firstRow) }
        }
        docs.append(n)
        tokenIDs = ids
        rows = grouped
        starts = counts
        documentStarts = docs
    }

    /// Rows where `sequence` starts, within one document, ascending.
    func rows(matching sequence: [UInt32]) -> [Int] {
        guard let first = sequence.first, Int(first) + 1 < starts.count else { return [] }
        let candidates = rows[starts[Int(first)]..<starts[Int(first) + 1]]
        guard sequence.count > 1 else { return Array(candidates) }
        return candidates.filter { row in
            let end = row + sequence.count
            guard end <= tokenIDs.count, end <= documentEnd(row) else { return false }
            for i in 1..<sequence.count where tokenIDs[row + i] != sequence[i] { return false }
            return true
        }
    }

    /// One past the last row of `row`'s document (the row count for a store without documents).
    func documentEnd(_ row: Int) -> Int {
        // First document start > row.
        var lo = 0, hi = documentStarts.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if documentStarts[mid] > row { hi = mid } else { lo = mid + 1 }
        }
        return documentStarts[lo]
    }

    /// The plain reference `rows(matching:)` is tested against: every row, compared in full.
    func referenceRows(matching sequence: [UInt32]) -> [Int] {
        guard !sequence.isEmpty else { return [] }
        return (0..<tokenIDs.count).filter { row in
            row + sequence.count <= documentEnd(row) && (0..<sequence.count).allSatisfy { tokenIDs[row + $0] == sequence[$0] }
        }
    }
}

/// Builds the token index on first use, once, however many searches arrive together.
final class TokenIndexCache: @unchecked Sendable {
    private let reader: any StoreReading
    private let lock = NSLock()
    private var built: TokenIndex?

    init(reader: any StoreReading) { self.reader = reader }

    func index() throws -> TokenIndex {
        try lock.withLock {
            if let built { return built }
            let index = try TokenIndex(reader: reader)
            built = index
            return index
        }
    }
}
