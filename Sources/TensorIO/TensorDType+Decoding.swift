extension TensorDType {
    /// Converts packed elements of this dtype in `src` (any alignment) to Float in `dst`.
    /// Integers convert exactly up to 2^24 and round beyond; bool reads as 0/1.
    /// `bigEndian` is for NumPy '>' files; safetensors is always little-endian.
    func decode(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>, bigEndian: Bool = false) {
        precondition(src.count == dst.count * byteWidth, "decode \(rawValue): \(src.count) bytes for \(dst.count) values")
        @inline(__always) func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            let raw = src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
        }
        let n = dst.count
        switch self {
        case .f32:
            if !bigEndian, let base = src.baseAddress, let out = dst.baseAddress, n > 0 {
                // Host is little-endian on every supported platform, so F32 is a plain copy.
                UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: n * 4)
            } else {
                for i in 0..<n { dst[i] = Float(bitPattern: load(i, UInt32.self)) }
            }
        case .f16:
            HalfConversion.decodeF16(src, into: dst, byteSwapped: bigEndian)
        case .bf16:
            if bigEndian {
                for i in 0..<n { dst[i] = HalfConversion.float(fromBF16: load(i, UInt16.self)) }
            } else {
                HalfConversion.decodeBF16(src, into: dst)
            }
        case .f64: for i in 0..<n { dst[i] = Float(Double(bitPattern: load(i, UInt64.self))) }
        case .i64: for i in 0..<n { dst[i] = Float(load(i, Int64.self)) }
        case .i32: for i in 0..<n { dst[i] = Float(load(i, Int32.self)) }
        case .i16: for i in 0..<n { dst[i] = Float(load(i, Int16.self)) }
        case .i8: for i in 0..<n { dst[i] = Float(load(i, Int8.self)) }
        case .u64: for i in 0..<n { dst[i] = Float(load(i, UInt64.self)) }
        case .u32: for i in 0..<n { dst[i] = Float(load(i, UInt32.self)) }
        case .u16: for i in 0..<n { dst[i] = Float(load(i, UInt16.self)) }
        case .u8: for i in 0..<n { dst[i] = Float(load(i, UInt8.self)) }
        case .bool: for i in 0..<n { dst[i] = load(i, UInt8.self) != 0 ? 1 : 0 }
        }
    }

    /// Appends `values` encoded as little-endian elements of this dtype to `out`.
    /// Returns the index of the first value that cannot be represented (integer dtypes need
    /// integral values in range; bool needs 0 or 1), or nil when all were encoded.
    func encode(_ values: ArraySlice<Float>, appendingTo out: inout [UInt8]) -> Int? {
        @inline(__always) func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        func putIntegers<T: FixedWidthInteger>(_: T.Type) -> Int? {
            for i in values.indices {
                let v = values[i]
                guard v.rounded() == v, let exact = T(exactly: v) else { return i - values.startIndex }
                put(exact)
            }
            return nil
        }
        out.reserveCapacity(out.count + values.count * byteWidth)
        switch self {
        case .f32: for v in values { put(v.bitPattern) }
        case .f16: for v in values { put(HalfConversion.f16Bits(v)) }
        case .bf16: for v in values { put(HalfConversion.bf16Bits(v)) }
        case .f64: for v in values { put(Double(v).bitPattern) }
        case .i64: return putIntegers(Int64.self)
        case .i32: return putIntegers(Int32.self)
        case .i16: return putIntegers(Int16.self)
        case .i8: return putIntegers(Int8.self)
        case .u64: return putIntegers(UInt64.self)
        case .u32: return putIntegers(UInt32.self)
        case .u16: return putIntegers(UInt16.self)
        case .u8: return putIntegers(UInt8.self)
        case .bool:
            for i in values.indices {
                guard values[i] == 0 || values[i] == 1 else { return i - values.startIndex }
                out.append(values[i] == 1 ? 1 : 0)
            }
        }
        return nil
    }
}
