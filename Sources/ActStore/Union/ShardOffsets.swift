/// Where each shard's rows, chunks and documents start in a sharded store's global numbering,
/// and the arithmetic that maps a global number to (shard, local number): global row r is row
/// r − rowStarts[k] of the shard k whose range holds it; chunks and documents likewise.
struct ShardOffsets: Sendable, Equatable {
    /// Prefix sums of the shards' rows: shardCount + 1 entries, the last the total.
    let rowStarts: [Int]
    /// Prefix sums of the shards' chunks per column.
    let chunkStarts: [Int]
    /// Prefix sums of the shards' documents.
    let documentStarts: [Int]

    /// Offsets of shards holding these counts, in concatenation order (at least one shard).
    init(rowCounts: [Int], chunkCounts: [Int], documentCounts: [Int]) {
        precondition(!rowCounts.isEmpty && rowCounts.count == chunkCounts.count && rowCounts.count == documentCounts.count,
                     "one count of each kind per shard, at least one shard")
        func starts(_ counts: [Int]) -> [Int] { counts.reduce(into: [0]) { $0.append($0.last! + $1) } }
        rowStarts = starts(rowCounts)
        chunkStarts = starts(chunkCounts)
        documentStarts = starts(documentCounts)
    }

    var shardCount: Int { rowStarts.count - 1 }
    var rowCount: Int { rowStarts.last! }
    var chunkCount: Int { chunkStarts.last! }
    var documentCount: Int { documentStarts.last! }

    /// The shard holding global chunk `chunk`, and the chunk's number inside it.
    func locate(chunk: Int) -> (shard: Int, local: Int) { locate(chunk, in: chunkStarts) }
    /// The shard holding global row `row`, and the row's number inside it.
    func locate(row: Int) -> (shard: Int, local: Int) { locate(row, in: rowStarts) }
    /// The shard holding global document `document`, and its number inside it.
    func locate(document: Int) -> (shard: Int, local: Int) { locate(document, in: documentStarts) }

    /// The last shard whose start is at or before `value` (so empty shards, which share their
    /// start with the next, are skipped), by binary search.
    private func locate(_ value: Int, in starts: [Int]) -> (shard: Int, local: Int) {
        var lo = 0, hi = shardCount - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= value { lo = mid } else { hi = mid - 1 }
        }
        return (lo, value - starts[lo])
    }
}
