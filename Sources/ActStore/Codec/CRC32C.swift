/// CRC-32C (Castagnoli), the checksum of every chunk's compressed bytes and of TFRecord
/// framing. Slicing-by-8 tables; `referenceChecksum` is the bit-at-a-time definition that
/// the tests hold the fast path to.
public enum CRC32C {
    static let polynomial: UInt32 = 0x82F6_3B78  // reflected 0x1EDC6F41

    static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for n in 0..<256 {
            var crc = UInt32(n)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[0][n] = crc
        }
        for n in 0..<256 {
            var crc = tables[0][n]
            for k in 1..<8 {
                crc = tables[0][Int(crc & 0xFF)] ^ (crc >> 8)
                tables[k][n] = crc
            }
        }
        return tables
    }()

    static let flatTable: [UInt32] = tables.flatMap { $0 }

    /// CRC-32C of `bytes` (crc32c("123456789") = 0xE3069283).
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// CRC-32C of `bytes`, continuing from `seed`: pass the checksum of the bytes before them (0,
    /// the default, to start), so `checksum(b, seed: checksum(a)) == checksum(a + b)` and a large
    /// file can be checksummed piece by piece (`AppendPart` does).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        flatTable.withUnsafeBufferPointer { t in
            var crc = ~seed
            guard let base = bytes.baseAddress else { return seed }
            var ptr = UnsafeRawPointer(base)
            var n = bytes.count
            while n >= 8 {
                let word = ptr.loadUnaligned(as: UInt64.self).littleEndian
                let lo = UInt32(truncatingIfNeeded: word) ^ crc
                let hi = UInt32(truncatingIfNeeded: word >> 32)
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                ptr += 8
                n -= 8
            }
            while n > 0 {
                crc = t[Int((crc ^ UInt32(ptr.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                ptr += 1
                n -= 1
            }
            return ~crc
        }
    }

    /// The definition, one bit at a time.
    static func referenceChecksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
        }
        return ~crc
    }
}
