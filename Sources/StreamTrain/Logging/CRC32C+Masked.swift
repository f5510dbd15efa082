import ActStore

extension CRC32C {
    /// TFRecord's masking, so a CRC stored inside CRC'd data does not checksum to a constant:
    /// rotate right by 15 and add 0xa282ead8.
    static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
