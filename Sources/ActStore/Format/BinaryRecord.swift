/// Little-endian record values and big-endian keys. Keys are big-endian so that LMDB's
/// byte-wise key order is numeric order (range lookups and ordered scans depend on it).
struct RecordWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }
}

/// Reads a record written by `RecordWriter`; every read is bounds-checked and a short
/// record throws instead of trapping (index bytes are outside input).
struct RecordReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Short: Error {}

    var remaining: Int { bytes.count - offset }

    mutating func u8() throws -> UInt8 {
        guard offset + 1 <= bytes.count else { throw Short() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws -> UInt16 { UInt16(truncatingIfNeeded: try little(2)) }
    mutating func u32() throws -> UInt32 { UInt32(truncatingIfNeeded: try little(4)) }
    mutating func u64() throws -> UInt64 { try little(8) }

    /// A u64 count or offset as an Int. Values of 2^62 or more are refused as damage rather
    /// than trapping in `Int(_:)`: no store holds that many rows or bytes, and the bound keeps
    /// the sum of two decoded fields (firstRow + rowCount, byteOffset + length) from overflowing.
    mutating func count() throws -> Int {
        let value = try u64()
        guard value < Self.countLimit else { throw Short() }
        return Int(value)
    }

    static let countLimit: UInt64 = 1 << 62

    mutating func raw(_ count: Int) throws -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw Short() }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    private mutating func little(_ width: Int) throws -> UInt64 {
        guard offset + width <= bytes.count else { throw Short() }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += width
        return value
    }
}

enum IndexKey {
    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    /// `chunks` key: column index (u16) then chunk index (u64), both big-endian.
    static func chunk(column: Int, chunk: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt16(column).bigEndian) { Array($0) } + u64(UInt64(chunk))
    }

    static func decodeU64(_ key: UnsafeRawBufferPointer) -> UInt64? {
        guard key.count == 8 else { return nil }
        var v: UInt64 = 0
        for b in key { v = v << 8 | UInt64(b) }
        // Keys and values decoded here are ids and rows, used as Int: see RecordReader.count().
        guard v < RecordReader.countLimit else { return nil }
        return v
    }

    static func decodeU64(_ key: [UInt8]) -> UInt64? { key.withUnsafeBytes { decodeU64($0) } }

    static func decodeChunk(_ key: UnsafeRawBufferPointer) -> (column: Int, chunk: Int)? {
        guard key.count == 10 else { return nil }
        let column = Int(key[0]) << 8 | Int(key[1])
        var chunk: UInt64 = 0
        for b in key[2..<10] { chunk = chunk << 8 | UInt64(b) }
        guard chunk < RecordReader.countLimit else { return nil }
        return (column, Int(chunk))
    }
}
