import ActStore

/// Which rows a loader keeps: those inside the row range (`--rows`) at or above the minimum
/// context position (`--min-position`). Evaluated one chunk at a time as chunks are decoded,
/// never over a whole column: at 10B rows the `pos` column alone is 80 GB as [UInt64].
struct RowFilter: Equatable {
    let rowRange: Range<Int>
    let minimumPosition: Int

    /// Whether the chunk's `pos` values are needed (a position filter is on).
    var needsPositions: Bool { minimumPosition > 0 }

    /// The kept rows (global numbers, ascending) of a chunk covering `chunkRows`; `positions`
    /// holds that chunk's `pos` values when `needsPositions`.
    func keptRows(of chunkRows: Range<Int>, positions: [UInt64]) -> [Int] {
        let inRange = chunkRows.clamped(to: rowRange)
        guard needsPositions else { return Array(inRange) }
        let minimum = UInt64(minimumPosition)
        return inRange.filter { positions[$0 - chunkRows.lowerBound] >= minimum }
    }

    /// Rows one pass over `chunks` keeps, reading one chunk of `pos` at a time (memory: one
    /// chunk, whatever the store's size; the chunk's mapped bytes are released after).
    func countRows(reader: any StoreReading, chunks: [Int]) throws -> Int {
        guard needsPositions else {
            return try chunks.reduce(0) { $0 + (try reader.chunkRows($1)).clamped(to: rowRange).count }
        }
        let decoder = reader.makeDecoder()
        let minimum = UInt64(minimumPosition)
        var positions: [UInt64] = []
        var count = 0
        for chunk in chunks {
            let rows = try reader.chunkRows(chunk)
            let inRange = rows.clamped(to: rowRange)
            if inRange.isEmpty { continue }
            try reader.readChunk(column: TokenColumn.position, chunk: chunk, into: &positions, decoder: decoder)
            try reader.release(column: TokenColumn.position, chunk: chunk)
            for row in inRange where positions[row - rows.lowerBound] >= minimum { count += 1 }
        }
        return count
    }
}
