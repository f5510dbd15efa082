/// f16 and bf16 conversions for the chunk codec. Encoding uses Swift's `Float16` (IEEE
/// round to nearest even); decoding f16 goes through a 65536-entry table because it is on
/// the read hot path, and the table is built from (and tested against) `Float16`.
enum HalfFloat {
    static let f16ToF32Table: [Float] = (0...0xFFFF).map { Float(Float16(bitPattern: UInt16($0))) }

    @inline(__always)
    static func f16Bits(_ x: Float) -> UInt16 { Float16(x).bitPattern }

    /// bfloat16 with round to nearest even; NaN stays a (quiet) NaN.
    @inline(__always)
    static func bf16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    @inline(__always)
    static func float(fromBF16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
