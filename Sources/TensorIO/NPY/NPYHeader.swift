/// The .npy header: magic, version, and a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` (numpy's format.py).
struct NPYHeader {
    let dtype: TensorDType
    /// True for '>' descr: element bytes are stored most significant first.
    let bigEndian: Bool
    let shape: [Int]
    /// Byte offset where array data begins.
    let dataByteOffset: Int

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Parses and validates the header at the start of `bytes` (the whole file).
    init(path: String, bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= 8 else {
            if bytes.count < 6 || !bytes.prefix(6).elementsEqual(Self.magic) { throw TensorIOError.npyBadMagic(path: path) }
            throw TensorIOError.truncated(path: path, byteOffset: bytes.count, neededByteCount: 8, fileByteCount: bytes.count, what: "the .npy version bytes")
        }
        guard bytes.prefix(6).elementsEqual(Self.magic) else { throw TensorIOError.npyBadMagic(path: path) }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        let lengthByteCount: Int
        switch major {
        case 1: lengthByteCount = 2
        case 2, 3: lengthByteCount = 4
        default: throw TensorIOError.npyUnsupportedVersion(path: path, major: major, minor: minor)
        }
        guard bytes.count >= 8 + lengthByteCount else {
            throw TensorIOError.truncated(path: path, byteOffset: 8, neededByteCount: lengthByteCount, fileByteCount: bytes.count, what: "the .npy header length")
        }
        let headerByteCount = lengthByteCount == 2
            ? Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let headerStart = 8 + lengthByteCount
        guard headerByteCount <= bytes.count - headerStart else {
            throw TensorIOError.truncated(path: path, byteOffset: headerStart, neededByteCount: headerByteCount, fileByteCount: bytes.count, what: "the .npy header dict")
        }
        dataByteOffset = headerStart + headerByteCount
        // Versions 1 and 2 are latin-1; 3 is UTF-8. The keys and values we need are ASCII either way.
        let text = Array(bytes[headerStart..<dataByteOffset])
        var parser = PyLiteralParser(bytes: text)
        let literal: PyLiteral
        do {
            literal = try parser.parseTopLevel()
        } catch let error as PyLiteralParser.Failure {
            throw TensorIOError.npyBadHeader(path: path, byteOffset: headerStart + error.byteOffset, detail: error.message)
        }
        guard case let .dict(pairs) = literal else {
            throw TensorIOError.npyBadHeader(path: path, byteOffset: headerStart, detail: "the header is not a dict")
        }
        func value(_ key: String) throws -> PyLiteral {
            guard let v = pairs.first(where: { $0.0 == key })?.1 else {
                throw TensorIOError.npyBadHeader(path: path, byteOffset: headerStart, detail: "missing key '\(key)'")
            }
            return v
        }
        guard case let .string(descr) = try value("descr") else {
            throw TensorIOError.npyUnsupportedDType(path: path, descr: "\(try value("descr"))")
        }
        guard case let .bool(fortranOrder) = try value("fortran_order") else {
            throw TensorIOError.npyBadHeader(path: path, byteOffset: headerStart, detail: "'fortran_order' is not True or False")
        }
        guard case let .tuple(dims) = try value("shape") else {
            throw TensorIOError.npyBadHeader(path: path, byteOffset: headerStart, detail: "'shape' is not a tuple")
        }
        var shape: [Int] = []
        for dim in dims {
            guard case let .int(n) = dim, n >= 0 else {
                throw TensorIOError.npyBadHeader(path: path, byteOffset: headerStart, detail: "'shape' holds \(dim), expected non-negative integers")
            }
            shape.append(n)
        }
        guard let (dtype, bigEndian) = Self.dtype(descr: descr) else {
            throw TensorIOError.npyUnsupportedDType(path: path, descr: descr)
        }
        if fortranOrder { throw TensorIOError.npyFortranOrder(path: path) }
        self.dtype = dtype
        self.bigEndian = bigEndian
        self.shape = shape
    }

    /// Maps a numpy type string ('<f4', '>f8', '|u1', ...) to a dtype and byte order.
    static func dtype(descr: String) -> (TensorDType, Bool)? {
        let chars = Array(descr)
        guard chars.count >= 3 else { return nil }
        let order = chars[0]
        let code = String(chars[1..<chars.count])
        let table: [String: TensorDType] = [
            "f2": .f16, "f4": .f32, "f8": .f64,
            "i1": .i8, "i2": .i16, "i4": .i32, "i8": .i64,
            "u1": .u8, "u2": .u16, "u4": .u32, "u8": .u64, "b1": .bool,
        ]
        guard let dtype = table[code] else { return nil }
        switch order {
        case "<", "=": return (dtype, false)  // '=' is native; every supported host is little-endian.
        case ">": return (dtype, dtype.byteWidth > 1)
        case "|": return dtype.byteWidth == 1 ? (dtype, false) : nil
        default: return nil
        }
    }

    /// The header for writing: dict padded with spaces and a final newline so data starts on a
    /// 64-byte boundary (numpy's own alignment), format 1.0 unless the dict needs 2.0.
    static func encode(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        let major: UInt8 = dict.count + 1 + 10 > 65535 ? 2 : 1
        let prefixByteCount = major == 1 ? 10 : 12
        var total = prefixByteCount + dict.count + 1
        total = (total + 63) / 64 * 64
        let headerByteCount = total - prefixByteCount
        var out = magic + [major, 0]
        if major == 1 {
            withUnsafeBytes(of: UInt16(headerByteCount).littleEndian) { out.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt32(headerByteCount).littleEndian) { out.append(contentsOf: $0) }
        }
        out += dict
        out += [UInt8](repeating: UInt8(ascii: " "), count: headerByteCount - dict.count - 1)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}
