import Foundation

extension StoreWriter {
    /// Adds a float column to every committed row, chunked like the existing columns.
    /// `fill(rows, &values)` supplies rows [rows) as (rows.count, width) values. All or
    /// nothing: if `fill` throws, or the process dies, the store is left as it was.
    public func addColumn(_ spec: ColumnSpec, progress: ((Int) -> Void)? = nil,
                          fill: (Range<Int>, inout [Float]) throws -> Void) throws {
        try checkHealthy()
        try spec.validate()
        guard spec.codec.isFloat else { throw StoreError.invalidArgument("only float columns can be added, not \(spec.codec.rawValue)") }
        guard pendingRowCount == 0, reopenedChunkCount == 0 else { throw StoreError.invalidArgument("commit appended rows before adding a column") }
        guard manifest.columnIndex(spec.name) == nil else {
            throw StoreError.invalidArgument("\(path) already has a column \(spec.name); to add rows to it, use `saestore import --append`")
        }
        let column = manifest.columns.count
        let chunkRanges = try existingChunkRanges()
        var values: [Float] = []
        do {
            for (chunk, rows) in chunkRanges.enumerated() {
                values.removeAll(keepingCapacity: true)
                try fill(rows, &values)
                guard values.count == rows.count * spec.width else {
                    throw StoreError.invalidArgument("column \(spec.name): rows \(rows) gave \(values.count) values, expected \(rows.count * spec.width)")
                }
                try values.withUnsafeBufferPointer {
                    try ChunkCodec.encode(floats: $0, rows: rows.count, width: spec.width, spec: spec, firstRow: rows.lowerBound, into: &payload)
                }
                let record = try appendChunkBytes(spec: spec, firstRow: rows.lowerBound, rowCount: rows.count)
                pendingChunks.append((IndexKey.chunk(column: column, chunk: chunk), record))
                progress?(rows.upperBound)
            }
            var newManifest = manifest
            newManifest.columns.append(spec)
            var state = committed
            state.tailSegment = appender.segment
            state.tailSegmentByteCount = appender.byteCount
            state.commitCount += 1
            try appender.sync()
            if createdSegmentSinceCommit { try StoreDirectory.syncDirectory(StoreDirectory.segmentsPath(path)) }
            try writeIndex(state: state, cursor: [:], manifest: newManifest)
            manifest = newManifest
            committed = state
            createdSegmentSinceCommit = false
            pendingChunks.removeAll()
            buffers.append(ColumnBuffer(spec: spec))
        } catch {
            try? discardUncommitted()
            throw error
        }
    }

    private func existingChunkRanges() throws -> [Range<Int>] {
        try StoreDirectory.mapIndexErrors(store: path, table: "chunks") {
            try env.withTransaction(write: false) { txn in
                var ranges: [Range<Int>] = []
                try txn.scan(.chunks, from: IndexKey.chunk(column: 0, chunk: 0)) { key, value in
                    guard let (column, _) = IndexKey.decodeChunk(key) else { throw RecordReader.Short() }
                    if column != 0 { return false }
                    let record = try ChunkRecord(decoding: Array(value))
                    ranges.append(record.firstRow..<record.firstRow + record.rowCount)
                    return true
                }
                return ranges
            }
        }
    }
}

extension JSONEncoder {
    /// Sorted keys so the same manifest always has the same bytes.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
