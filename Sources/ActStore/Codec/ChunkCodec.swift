import TensorIO
/// Turns a chunk's values into the payload that zstd compresses, and back.
///
/// Payload layouts (before zstd), n = rows * width values, all little-endian:
/// - f32 / f16 / bf16 / u32 / u64: n values of the codec's width, byte-shuffled into
///   planes when the column asks for it.
/// - int8: rows f32 scales (shuffled into 4 planes when asked), then n signed bytes;
///   value = byte * scale, scale = absmax(row) / 127.
/// - int8-outlier: OutlierInt8Codec (its payload size depends on its outlier count).
enum ChunkCodec {
    /// Payload size of a fixed-size codec (every codec but int8-outlier).
    static func payloadByteCount(codec: ColumnCodec, rows: Int, width: Int) -> Int {
        precondition(codec != .int8Outlier, "int8-outlier payloads vary in size: use payloadByteRange")
        return codec == .int8 ? rows * 4 + rows * width : rows * width * codec.storedByteWidth
    }

    /// Payload sizes a chunk of this shape can have.
    static func payloadByteRange(codec: ColumnCodec, rows: Int, width: Int) -> ClosedRange<Int> {
        if codec == .int8Outlier { return OutlierInt8Codec.payloadByteRange(rows: rows, width: width) }
        let count = payloadByteCount(codec: codec, rows: rows, width: width)
        return count...count
    }

    // MARK: encode

    /// values: (rows, width) row-major. `firstRow` only names rows in errors.
    static func encode(floats values: UnsafeBufferPointer<Float>, rows: Int, width: Int, spec: ColumnSpec,
                       firstRow: Int, into payload: inout [UInt8]) throws {
        precondition(values.count == rows * width, "encode: \(values.count) values for \(rows)x\(width)")
        let codec = spec.codec
        if codec == .int8Outlier {
            return try OutlierInt8Codec.encode(values, rows: rows, width: width, spec: spec, firstRow: firstRow, into: &payload)
        }
        payload.removeAll(keepingCapacity: true)
        let byteCount = payloadByteCount(codec: codec, rows: rows, width: width)
        switch codec {
        case .f32:
            appendShuffled(UnsafeRawBufferPointer(values), width: 4, shuffle: spec.byteShuffle, to: &payload)
        case .f16, .bf16:
            var halves = [UInt16](repeating: 0, count: values.count)
            for i in 0..<values.count {
                let x = values[i]
                if codec == .f16 {
                    let h = HalfConversion.f16Bits(x)
                    if h & 0x7C00 == 0x7C00 && h & 0x03FF == 0 && x.isFinite {
                        throw StoreError.valueNotRepresentable(column: spec.name, row: firstRow + i / width, value: x, codec: codec)
                    }
                    halves[i] = h
                } else {
                    halves[i] = HalfConversion.bf16Bits(x)
                }
            }
            halves.withUnsafeBytes { appendShuffled($0, width: 2, shuffle: spec.byteShuffle, to: &payload) }
        case .int8:
            var scales = [Float](repeating: 0, count: rows)
            var quantized = [Int8](repeating: 0, count: values.count)
            for r in 0..<rows {
                var absmax: Float = 0
                for j in 0..<width {
                    let x = values[r * width + j]
                    if !x.isFinite {
                        throw StoreError.valueNotRepresentable(column: spec.name, row: firstRow + r, value: x, codec: codec)
                    }
                    absmax = max(absmax, abs(x))
                }
                let scale = absmax / 127
                scales[r] = scale
                if scale > 0 {
                    let inverse = 1 / scale
                    for j in 0..<width {
                        let q = (values[r * width + j] * inverse).rounded(.toNearestOrEven)
                        quantized[r * width + j] = Int8(max(-127, min(127, q)))
                    }
                }
            }
            scales.withUnsafeBytes { appendShuffled($0, width: 4, shuffle: spec.byteShuffle, to: &payload) }
            quantized.withUnsafeBytes { payload.append(contentsOf: $0) }
        case .u32, .u64, .int8Outlier:
            preconditionFailure("encode(floats:) called for integer column \(spec.name) (or int8-outlier, handled above)")
        }
        precondition(payload.count == byteCount, "int8/half payload size")
    }

    static func encode(integers values: UnsafeRawBufferPointer, spec: ColumnSpec, into payload: inout [UInt8]) {
        precondition(!spec.codec.isFloat, "encode(integers:) called for float column \(spec.name)")
        payload.removeAll(keepingCapacity: true)
        appendShuffled(values, width: spec.codec.storedByteWidth, shuffle: spec.byteShuffle, to: &payload)
    }

    private static func appendShuffled(_ bytes: UnsafeRawBufferPointer, width: Int, shuffle: Bool, to payload: inout [UInt8]) {
        if !shuffle || width == 1 {
            payload.append(contentsOf: bytes)
            return
        }
        let start = payload.count
        payload.append(contentsOf: repeatElement(0, count: bytes.count))
        payload.withUnsafeMutableBytes { out in
            ByteShuffle.shuffle(bytes, width: width, into: UnsafeMutableRawBufferPointer(rebasing: out[start...]))
        }
    }

    // MARK: decode (fast paths)

    /// payload → (rows, width) floats. The caller has checked payload.count.
    static func decode(floatsFrom payload: UnsafeRawBufferPointer, codec: ColumnCodec, shuffled: Bool,
                       rows: Int, width: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let n = rows * width
        precondition(out.count >= n, "decode: output holds \(out.count) floats, need \(n)")
        let src = payload.bindMemory(to: UInt8.self).baseAddress!
        let dst = out.baseAddress!
        switch codec {
        case .f32:
            if shuffled {
                let p0 = src, p1 = src + n, p2 = src + 2 * n, p3 = src + 3 * n
                for i in 0..<n {
                    let bits = UInt32(p0[i]) | UInt32(p1[i]) << 8 | UInt32(p2[i]) << 16 | UInt32(p3[i]) << 24
                    dst[i] = Float(bitPattern: bits)
                }
            } else {
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * 4)
            }
        case .f16:
            HalfConversion.f16Table.withUnsafeBufferPointer { table in
                let t = table.baseAddress!
                if shuffled {
                    let lo = src, hi = src + n
                    for i in 0..<n { dst[i] = t[Int(lo[i]) | Int(hi[i]) << 8] }
                } else {
                    for i in 0..<n { dst[i] = t[Int(src[2 * i]) | Int(src[2 * i + 1]) << 8] }
                }
            }
        case .bf16:
            if shuffled {
                let lo = src, hi = src + n
                for i in 0..<n { dst[i] = Float(bitPattern: (UInt32(lo[i]) | UInt32(hi[i]) << 8) << 16) }
            } else {
                for i in 0..<n { dst[i] = Float(bitPattern: (UInt32(src[2 * i]) | UInt32(src[2 * i + 1]) << 8) << 16) }
            }
        case .int8:
            let q = UnsafeRawPointer(src + rows * 4).assumingMemoryBound(to: Int8.self)
            for r in 0..<rows {
                let scale: Float
                if shuffled {
                    let bits = UInt32(src[r]) | UInt32(src[rows + r]) << 8 | UInt32(src[2 * rows + r]) << 16 | UInt32(src[3 * rows + r]) << 24
                    scale = Float(bitPattern: bits)
                } else {
                    scale = UnsafeRawPointer(src + 4 * r).loadUnaligned(as: Float.self)
                }
                let row = dst + r * width
                let qrow = q + r * width
                for j in 0..<width { row[j] = Float(qrow[j]) * scale }
            }
        case .int8Outlier:
            OutlierInt8Codec.decode(payload, shuffled: shuffled, rows: rows, width: width, into: out)
        case .u32, .u64:
            preconditionFailure("decode(floats:) called for an integer codec")
        }
    }

    /// payload → n integers of the codec's width, widened to u64 for u32 columns when
    /// `out` is UInt64.
    static func decode<T: FixedWidthInteger & UnsignedInteger>(integersFrom payload: UnsafeRawBufferPointer, codec: ColumnCodec,
                                                               shuffled: Bool, count n: Int, into out: UnsafeMutableBufferPointer<T>) {
        let width = codec.storedByteWidth
        let src = payload.bindMemory(to: UInt8.self).baseAddress!
        for i in 0..<n {
            var v: UInt64 = 0
            for p in 0..<width {
                let b = shuffled ? src[p * n + i] : src[i * width + p]
                v |= UInt64(b) << (8 * UInt64(p))
            }
            out[i] = T(truncatingIfNeeded: v)
        }
    }

    // MARK: reference

    /// The plain decode: un-shuffle with the reference, then convert value by value.
    static func referenceDecode(floatsFrom payload: [UInt8], codec: ColumnCodec, shuffled: Bool, rows: Int, width: Int) -> [Float] {
        let n = rows * width
        switch codec {
        case .f32, .f16, .bf16:
            let w = codec.storedByteWidth
            let bytes = shuffled ? ByteShuffle.unshuffle(payload, width: w) : payload
            return (0..<n).map { i in
                var bits: UInt32 = 0
                for p in 0..<w { bits |= UInt32(bytes[i * w + p]) << (8 * UInt32(p)) }
                switch codec {
                case .f32: return Float(bitPattern: bits)
                case .f16: return Float(Float16(bitPattern: UInt16(bits)))
                default: return Float(bitPattern: bits << 16)
                }
            }
        case .int8:
            let scaleBytes = Array(payload[0..<rows * 4])
            let plain = shuffled ? ByteShuffle.unshuffle(scaleBytes, width: 4) : scaleBytes
            return (0..<n).map { i in
                let r = i / width
                var bits: UInt32 = 0
                for p in 0..<4 { bits |= UInt32(plain[r * 4 + p]) << (8 * UInt32(p)) }
                return Float(Int8(bitPattern: payload[rows * 4 + i])) * Float(bitPattern: bits)
            }
        case .int8Outlier:
            return OutlierInt8Codec.referenceDecode(payload, shuffled: shuffled, rows: rows, width: width)
        case .u32, .u64:
            preconditionFailure("referenceDecode(floats:) called for an integer codec")
        }
    }
}
