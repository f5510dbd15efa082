// libFuzzer target: the store index's binary records as read back from LMDB: CommitState,
// ChunkRecord, DocumentRecord and the big-endian keys. A copied or damaged store hands these
// decoders arbitrary bytes. Built by scripts/fuzz.sh with ActStore's Format and Codec sources.
// Expectation: decode succeeds or throws; a record that decodes re-encodes to the same bytes
// (except the CommitState version byte's trailing garbage, which it ignores).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let state = try? CommitState(decoding: bytes) {
        precondition(Array(bytes.prefix(state.encoded().count)) == state.encoded(), "CommitState round trip")
    }
    if let record = try? ChunkRecord(decoding: bytes) {
        var canonical = bytes
        canonical[3] = 0  // reserved byte, ignored on read
        canonical[2] = record.byteShuffle ? 1 : 0
        precondition(record.encoded() == canonical, "ChunkRecord round trip")
        _ = ChunkCodec.payloadByteRange(codec: record.codec, rows: record.rowCount, width: 1 + Int(bytes[0] & 0x3F))
    }
    if let record = try? DocumentRecord(decoding: bytes) {
        precondition(record.encoded() == bytes, "DocumentRecord round trip")
        _ = record.rows
    }
    bytes.withUnsafeBytes { raw in
        _ = IndexKey.decodeU64(raw)
        _ = IndexKey.decodeChunk(raw)
    }
    return 0
}
