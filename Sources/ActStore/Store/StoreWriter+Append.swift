import Foundation

extension StoreWriter {
    /// Codecs whose stored values encode back to exactly the bytes they were stored as:
    /// decoding widens (f16/bf16 → f32 and u32 → u64 are exact) and encoding an exactly
    /// representable value rounds to itself. The lossy int8 codecs are not: their scales are
    /// recomputed from the decoded values, and int8-outlier's centres and spreads are per chunk.
    static let exactlyReencodedCodecs: Set<ColumnCodec> = [.f32, .f16, .bf16, .u32, .u64]

    /// Puts the rows of the last committed chunk back into the column buffers, so that rows
    /// appended now continue that chunk instead of starting a short one after it: parts
    /// appended one by one are then cut into exactly the chunks one import of their
    /// concatenation makes, and many small parts do not leave many short chunks.
    ///
    /// The chunk's committed record stays valid until the next commit replaces it (in the same
    /// transaction as everything else appended), so a crash or `discardUncommitted` leaves the
    /// store as it was; the replaced chunk's old bytes stay in their segment, unreferenced
    /// (docs/FORMAT.md). Nothing is reopened — returns false — when there are uncommitted rows,
    /// the last chunk is full, a column's codec is lossy, or a column's re-encoding of the
    /// decoded rows differs from its stored payload by a single byte (so no stored value can
    /// change by being cut again).
    @discardableResult
    public func reopenTailChunk() throws -> Bool {
        try checkHealthy()
        guard pendingRowCount == 0, bufferedRowCount == 0, reopenedChunkCount == 0, openDocumentID == nil else { return false }
        guard committed.chunkCount > 0,
              manifest.columns.allSatisfy({ Self.exactlyReencodedCodecs.contains($0.codec) }) else { return false }
        let reader = try StoreReader(path: path)
        let chunk = committed.chunkCount - 1
        let rows = try reader.chunkRows(chunk)
        guard rows.count < manifest.chunkRows, rows.upperBound == committed.rowCount else { return false }
        let decoder = reader.makeDecoder()
        var reopened = manifest.columns.map { ColumnBuffer(spec: $0) }
        var floats: [Float] = []
        var integers: [UInt64] = []
        var reencoded: [UInt8] = []
        for (column, spec) in manifest.columns.enumerated() {
            if spec.codec.isFloat {
                try decoder.decode(reader: reader, column: column, chunk: chunk, floats: &floats)
                reopened[column].append(floats: floats)
            } else {
                try decoder.decode(reader: reader, column: column, chunk: chunk, integers: &integers)
                reopened[column].append(integers: integers)
            }
            let record = try reader.records(column: column)[chunk]
            guard record.byteShuffle == spec.byteShuffle else { return false }
            try reopened[column].encodePrefix(rowCount: rows.count, spec: spec, firstRow: rows.lowerBound, into: &reencoded)
            guard reencoded == decoder.lastPayload else { return false }
        }
        buffers = reopened
        bufferedRowCount = rows.count
        reopenedChunkCount = 1
        return true
    }
}
