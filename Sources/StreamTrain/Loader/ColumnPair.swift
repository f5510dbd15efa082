import ActStore

/// The store columns one loader row is made of: one activation column, or (transcoders) an
/// input column and a target column side by side, `[input row | target row]` of the same row id.
/// Chunks are row ranges shared by every column of a store, so chunk c of both columns holds the
/// same rows and a pair is assembled chunk by chunk.
struct ColumnPair: Sendable {
    let column: String
    let inputWidth: Int
    let targetColumn: String?
    let targetWidth: Int

    /// Floats per assembled row.
    var rowWidth: Int { inputWidth + targetWidth }

    /// Checks the target column against the input column: a float column of the same width
    /// (d_out = d_in in this version) and the same row count. Throws `StoreError.invalidArgument`
    /// naming both columns otherwise.
    init(reader: any StoreReading, column: String, inputWidth: Int, targetColumn: String?) throws {
        self.column = column
        self.inputWidth = inputWidth
        self.targetColumn = targetColumn
        guard let targetColumn else {
            targetWidth = 0
            return
        }
        let spec = try reader.spec(targetColumn)
        guard spec.codec.isFloat else {
            throw StoreError.invalidArgument("target column \(targetColumn) holds \(spec.codec.rawValue) integers, not activations")
        }
        guard spec.width == inputWidth else {
            throw StoreError.invalidArgument("input column \(column) is \(inputWidth) wide and target column \(targetColumn) is \(spec.width) wide; transcoders need d_out = d_in in this version")
        }
        let inputRows = try reader.chunkRecords(column: column).reduce(0) { $0 + $1.rowCount }
        let targetRows = try reader.chunkRecords(column: targetColumn).reduce(0) { $0 + $1.rowCount }
        guard inputRows == targetRows else {
            throw StoreError.invalidArgument("input column \(column) has \(inputRows) rows and target column \(targetColumn) has \(targetRows) in \(reader.path); a transcoder needs both columns of the same rows (ingest both hooks in one run)")
        }
        targetWidth = spec.width
    }

    /// Chunk `chunk` of the row's columns into `values`, row-major with `rowWidth` floats a row,
    /// and releases the decoded bytes (unmapping them keeps the process's resident size bounded by
    /// the buffer and the chunks in flight, not by the store; they stay in the page cache).
    func readChunk(reader: any StoreReading, chunk: Int, into values: inout [Float], decoder: ChunkDecoder) throws {
        try reader.readChunk(column: column, chunk: chunk, into: &values, decoder: decoder)
        try reader.release(column: column, chunk: chunk)
        guard let targetColumn else { return }
        var target: [Float] = []
        try reader.readChunk(column: targetColumn, chunk: chunk, into: &target, decoder: decoder)
        try reader.release(column: targetColumn, chunk: chunk)
        let rows = values.count / inputWidth
        guard target.count == rows * targetWidth else {
            throw StoreError.invalidArgument("chunk \(chunk) holds \(rows) rows of \(column) and \(target.count / max(targetWidth, 1)) of \(targetColumn)")
        }
        var paired = [Float](repeating: 0, count: rows * rowWidth)
        let (a, b, w) = (inputWidth, targetWidth, rowWidth)
        paired.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { x in
                target.withUnsafeBufferPointer { y in
                    for r in 0..<rows {
                        (out.baseAddress! + r * w).update(from: x.baseAddress! + r * a, count: a)
                        (out.baseAddress! + r * w + a).update(from: y.baseAddress! + r * b, count: b)
                    }
                }
            }
        }
        values = paired
    }
}
