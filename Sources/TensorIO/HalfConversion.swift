/// IEEE 754 binary16 ("half", F16) and bfloat16 (BF16) conversions to and from Float.
/// Narrowing rounds to nearest, ties to even (what numpy's astype(float16) and torch's
/// .to(bfloat16) do); NaNs stay NaN (quieted), infinities stay infinite, overflow goes to infinity.
public enum HalfConversion {
    // MARK: scalar

    /// Float → binary16 bits, round to nearest even.
    public static func f16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xff)
        let mantissa = bits & 0x7f_ffff
        if exponent == 0xff {
            if mantissa == 0 { return sign | 0x7c00 }
            // Keep the top payload bits and force the quiet bit so a NaN never becomes infinity.
            return sign | 0x7e00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1f { return sign | 0x7c00 }
        if halfExponent <= 0 {
            // Result is subnormal (value = m * 2^-24) or zero. Below half the smallest
            // subnormal (2^-25) everything rounds to zero.
            if halfExponent < -10 { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - halfExponent)
            var rounded = significand >> shift
            let remainder = significand & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && rounded & 1 == 1) { rounded += 1 }
            // rounded may reach 0x400, which is exactly the encoding of the smallest normal.
            return sign | UInt16(truncatingIfNeeded: rounded)
        }
        var half = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1fff
        // A carry out of the mantissa correctly bumps the exponent (and reaches 0x7c00 = inf).
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
        return sign | UInt16(truncatingIfNeeded: half)
    }

    /// binary16 bits → Float (exact), by bit manipulation.
    public static func float(fromF16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32((bits >> 10) & 0x1f)
        var mantissa = UInt32(bits & 0x3ff)
        if exponent == 0x1f {
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            // Subnormal half: renormalise, since every half subnormal is a normal Float.
            var e: Int32 = 1
            while mantissa & 0x400 == 0 {
                mantissa <<= 1
                e -= 1
            }
            mantissa &= 0x3ff
            return Float(bitPattern: sign | (UInt32(e - 15 + 127) << 23) | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13))
    }

    /// binary16 bits → Float from the definition (sign · significand · 2^exponent) with no bit
    /// tricks: the plain reference the table and `float(fromF16:)` are tested against.
    public static func referenceFloat(fromF16 bits: UInt16) -> Float {
        let negative = bits & 0x8000 != 0
        let exponent = Int((bits >> 10) & 0x1f)
        let mantissa = Int(bits & 0x3ff)
        let magnitude: Float
        switch exponent {
        case 0x1f: magnitude = mantissa == 0 ? .infinity : .nan
        case 0: magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        default: magnitude = (1 + Float(mantissa) / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }

    /// Float → bfloat16 bits, round to nearest even.
    public static func bf16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        // Adding 0x7fff plus the lowest kept bit rounds ties to even; overflow carries into
        // the exponent and ends at infinity, as it should.
        let rounded = bits &+ 0x7fff &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// bfloat16 bits → Float (exact: bfloat16 is the top half of a Float).
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    // MARK: bulk

    /// Every binary16 value as a Float, indexed by bit pattern: decoding becomes one load.
    public static let f16Table: [Float] = (0...0xffff).map { float(fromF16: UInt16($0)) }

    /// binary16 bits → Floats through the table.
    public static func floats(fromF16 bits: [UInt16]) -> [Float] {
        var out = [Float]()
        convert(f16Bits: bits, into: &out)
        return out
    }

    /// binary16 bits → Floats into `out` (resized to bits.count).
    public static func convert(f16Bits bits: [UInt16], into out: inout [Float]) {
        resize(&out, to: bits.count)
        bits.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in decodeF16(src, into: dst) }
        }
    }

    /// bfloat16 bits → Floats.
    public static func floats(fromBF16 bits: [UInt16]) -> [Float] {
        var out = [Float]()
        convert(bf16Bits: bits, into: &out)
        return out
    }

    /// bfloat16 bits → Floats into `out` (resized to bits.count).
    public static func convert(bf16Bits bits: [UInt16], into out: inout [Float]) {
        resize(&out, to: bits.count)
        bits.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in decodeBF16(src, into: dst) }
        }
    }

    /// Floats → binary16 bits.
    public static func f16Bits(_ values: [Float]) -> [UInt16] {
        var out = [UInt16]()
        convert(values, toF16Bits: &out)
        return out
    }

    /// Floats → binary16 bits into `out` (resized to values.count).
    public static func convert(_ values: [Float], toF16Bits out: inout [UInt16]) {
        resize(&out, to: values.count)
        out.withUnsafeMutableBufferPointer { dst in
            for i in values.indices { dst[i] = f16Bits(values[i]) }
        }
    }

    /// Floats → bfloat16 bits.
    public static func bf16Bits(_ values: [Float]) -> [UInt16] {
        var out = [UInt16]()
        convert(values, toBF16Bits: &out)
        return out
    }

    /// Floats → bfloat16 bits into `out` (resized to values.count).
    public static func convert(_ values: [Float], toBF16Bits out: inout [UInt16]) {
        resize(&out, to: values.count)
        out.withUnsafeMutableBufferPointer { dst in
            for i in values.indices { dst[i] = bf16Bits(values[i]) }
        }
    }

    // MARK: raw-buffer helpers (internal; file readers decode straight from the mapping)

    /// Decodes little-endian binary16 values from `src` (any alignment) into `dst`.
    static func decodeF16(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>, byteSwapped: Bool = false) {
        precondition(src.count == dst.count * 2, "decodeF16: \(src.count) bytes for \(dst.count) values")
        f16Table.withUnsafeBufferPointer { table in
            for i in 0..<dst.count {
                let raw = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                dst[i] = table[Int(byteSwapped ? raw.byteSwapped : UInt16(littleEndian: raw))]
            }
        }
    }

    /// Decodes little-endian bfloat16 values from `src` (any alignment) into `dst`.
    static func decodeBF16(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) {
        precondition(src.count == dst.count * 2, "decodeBF16: \(src.count) bytes for \(dst.count) values")
        for i in 0..<dst.count {
            dst[i] = float(fromBF16: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    private static func resize<T: Numeric>(_ array: inout [T], to count: Int) {
        if array.count != count {
            array.removeAll(keepingCapacity: true)
            array.append(contentsOf: repeatElement(0, count: count))
        }
    }
}
