import ActStore
/// TFRecord framing: u64 LE length, masked CRC-32C of those 8 bytes, the data, masked
/// CRC-32C of the data (both CRCs u32 LE).
enum TFRecord {
    static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let lengthBytes = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        out.append(contentsOf: lengthBytes)
        appendUInt32(CRC32C.masked(CRC32C.checksum(lengthBytes)), to: &out)
        out.append(contentsOf: data)
        appendUInt32(CRC32C.masked(CRC32C.checksum(data)), to: &out)
        return out
    }

    private static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}
