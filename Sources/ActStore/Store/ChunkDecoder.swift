/// Decompression state and scratch for reading chunks on one thread: reading many chunks
/// allocates nothing per chunk once the scratch has grown to the chunk size.
public final class ChunkDecoder {
    private let zstd = ZstdDecompressor()
    private var payload: [UInt8] = []

    /// A decoder with empty scratch; it grows to the largest chunk decoded and is reused. Not
    /// thread-safe: one per thread (`StoreReading.makeDecoder()` makes one).
    public init() {}

    /// Decompresses one zstd frame (a document's stored text) with this decoder's context:
    /// creating a context costs more than decompressing a paragraph (it was an eighth of a
    /// `saestore serve` row lookup's time), so text reads borrow a pooled decoder's.
    func decompress(_ source: [UInt8]) throws -> [UInt8] { try zstd.decompress(source) }

    /// The payload of the chunk decoded last, as decompressed (before un-shuffling and
    /// conversion): StoreWriter+Append compares a re-encoding with it byte for byte.
    var lastPayload: [UInt8] { payload }

    func decode(reader: StoreReader, column: Int, chunk: Int, floats out: inout [Float]) throws {
        let spec = reader.columns[column]
        guard spec.codec.isFloat else {
            throw StoreError.invalidArgument("column \(spec.name) holds \(spec.codec.rawValue) integers, not floats")
        }
        let record = try loadPayload(reader: reader, column: column, chunk: chunk)
        let count = record.rowCount * spec.width
        if out.count != count { out = [Float](repeating: 0, count: count) }
        if record.codec == .int8Outlier, let detail = payload.withUnsafeBytes({
            OutlierInt8Codec.problem(in: $0, shuffled: record.byteShuffle, rows: record.rowCount, width: spec.width)
        }) {
            throw StoreError.corruptChunk(store: reader.path, column: spec.name, chunk: chunk,
                                          segment: SegmentFile.path(store: reader.path, segment: record.segment),
                                          byteOffset: record.byteOffset, detail: detail)
        }
        payload.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                ChunkCodec.decode(floatsFrom: src, codec: record.codec, shuffled: record.byteShuffle,
                                  rows: record.rowCount, width: spec.width, into: dst)
            }
        }
    }

    func decode(reader: StoreReader, column: Int, chunk: Int, integers out: inout [UInt64]) throws {
        let spec = reader.columns[column]
        guard !spec.codec.isFloat else {
            throw StoreError.invalidArgument("column \(spec.name) holds \(spec.codec.rawValue) floats, not integers")
        }
        let record = try loadPayload(reader: reader, column: column, chunk: chunk)
        let count = record.rowCount * spec.width
        if out.count != count { out = [UInt64](repeating: 0, count: count) }
        payload.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                ChunkCodec.decode(integersFrom: src, codec: record.codec, shuffled: record.byteShuffle, count: count, into: dst)
            }
        }
    }

    /// Checks and decompresses one chunk into `payload`; every failure names the store,
    /// column, chunk, segment and byte offset.
    @discardableResult
    func loadPayload(reader: StoreReader, column: Int, chunk: Int) throws -> ChunkRecord {
        let spec = reader.columns[column]
        let records = try reader.records(column: column)
        guard chunk >= 0, chunk < records.count else {
            throw StoreError.invalidArgument("\(reader.path): chunk \(chunk) is out of range (\(records.count) chunks)")
        }
        let record = records[chunk]
        let segmentPath = SegmentFile.path(store: reader.path, segment: record.segment)
        func corrupt(_ detail: String) -> StoreError {
            .corruptChunk(store: reader.path, column: spec.name, chunk: chunk, segment: segmentPath, byteOffset: record.byteOffset, detail: detail)
        }
        guard record.codec == spec.codec else { throw corrupt("record says codec \(record.codec.rawValue), the column is \(spec.codec.rawValue)") }
        let allowedRaw = ChunkCodec.payloadByteRange(codec: record.codec, rows: record.rowCount, width: spec.width)
        guard allowedRaw.contains(record.rawByteCount) else {
            let need = allowedRaw.count == 1 ? "\(allowedRaw.lowerBound)" : "\(allowedRaw.lowerBound)...\(allowedRaw.upperBound)"
            throw corrupt("record says \(record.rawByteCount) payload bytes, \(record.rowCount) rows need \(need)")
        }
        let expectedRaw = record.rawByteCount
        guard let mapping = try reader.mapping(segment: record.segment) else {
            throw StoreError.missingSegment(store: reader.path, column: spec.name, chunk: chunk, segment: segmentPath)
        }
        let range = record.byteOffset..<record.byteOffset + record.compressedByteCount
        guard record.byteOffset >= SegmentFile.headerByteCount, range.upperBound <= mapping.byteCount else {
            throw StoreError.truncatedSegment(store: reader.path, column: spec.name, chunk: chunk, segment: segmentPath,
                                              byteOffset: record.byteOffset, chunkBytes: record.compressedByteCount, fileBytes: mapping.byteCount)
        }
        if payload.count != expectedRaw { payload = [UInt8](repeating: 0, count: expectedRaw) }
        try mapping.withBytes(range) { compressed in
            let crc = CRC32C.checksum(compressed)
            guard crc == record.checksum else {
                throw corrupt(String(format: "checksum %08x, the index recorded %08x", crc, record.checksum))
            }
            do {
                try payload.withUnsafeMutableBytes { try zstd.decompress(compressed, into: $0) }
            } catch {
                throw corrupt("\(error)")
            }
        }
        return record
    }
}
