/// The one implementation of `readRows`/`readIntegers` behind every `StoreReading`: a row range
/// is cut at chunk boundaries, and each chunk it only partly covers goes through the reader's
/// decoded-chunk cache (a lookup reads one row but must decode its whole chunk; lookups cluster).
extension StoreReading {
    /// Rows `rows` of float column `name` into `out`, decoding with `decoder`, whole chunks
    /// through `readChunk`.
    func readCachedRows(column name: String, rows: Range<Int>, into out: inout [Float], decoder: ChunkDecoder,
                        cache: DecodedChunkCache) throws {
        let column = try columnIndex(name)
        let width = columns[column].width
        try checkRowRange(rows)
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(rows.count * width)
        guard !rows.isEmpty else { return }
        var chunk = try self.chunk(containing: rows.lowerBound)
        var scratch: [Float] = []
        while true {
            let chunkRows = try self.chunkRows(chunk)
            let overlap = max(rows.lowerBound, chunkRows.lowerBound)..<min(rows.upperBound, chunkRows.upperBound)
            if overlap.isEmpty { break }
            if case .floats(let cached)? = cache.get(column: column, chunk: chunk) {
                scratch = cached
            } else {
                try readChunk(column: name, chunk: chunk, into: &scratch, decoder: decoder)
                // Only partial reads are cached: a whole-chunk read is a scan.
                if overlap.count < chunkRows.count { cache.put(column: column, chunk: chunk, .floats(scratch)) }
            }
            let start = (overlap.lowerBound - chunkRows.lowerBound) * width
            out.append(contentsOf: scratch[start..<start + overlap.count * width])
            if overlap.upperBound == rows.upperBound { break }
            chunk += 1
        }
    }

    /// Rows `rows` of integer column `name`, decoding with `decoder`, through `cache`.
    func readCachedIntegers(column name: String, rows: Range<Int>, decoder: ChunkDecoder,
                            cache: DecodedChunkCache) throws -> [UInt64] {
        let column = try columnIndex(name)
        let width = columns[column].width
        try checkRowRange(rows)
        var out: [UInt64] = []
        guard !rows.isEmpty else { return out }
        var chunk = try self.chunk(containing: rows.lowerBound)
        var scratch: [UInt64] = []
        while true {
            let chunkRows = try self.chunkRows(chunk)
            let overlap = max(rows.lowerBound, chunkRows.lowerBound)..<min(rows.upperBound, chunkRows.upperBound)
            if overlap.isEmpty { break }
            if case .integers(let cached)? = cache.get(column: column, chunk: chunk) {
                scratch = cached
            } else {
                try readChunk(column: name, chunk: chunk, into: &scratch, decoder: decoder)
                if overlap.count < chunkRows.count { cache.put(column: column, chunk: chunk, .integers(scratch)) }
            }
            let start = (overlap.lowerBound - chunkRows.lowerBound) * width
            out.append(contentsOf: scratch[start..<start + overlap.count * width])
            if overlap.upperBound == rows.upperBound { break }
            chunk += 1
        }
        return out
    }

    /// Throws `StoreError.rowOutOfRange` unless `rows` lies inside 0..<rowCount.
    func checkRowRange(_ rows: Range<Int>) throws {
        let count = rowCount
        guard rows.lowerBound >= 0, rows.upperBound <= count else {
            throw StoreError.rowOutOfRange(store: path, row: rows.lowerBound < 0 ? rows.lowerBound : rows.upperBound - 1, rowCount: count)
        }
    }
}
