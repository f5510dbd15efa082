/// Read access to one FlatBuffers table (the encoding of Arrow's IPC metadata): a table starts
/// with an i32 offset back to its vtable, whose u16 entries give each field's offset in the
/// table (0: absent, so the default). Every read is bounds-checked: the bytes are file input.
struct FlatBufferTable {
    let bytes: UnsafeRawBufferPointer
    let position: Int
    /// Names the file and the buffer's place in it in errors.
    let path: String
    let fileOffset: Int

    struct Malformed: Error { let byteOffset: Int; let detail: String }

    /// The root table of a flatbuffer.
    init(root bytes: UnsafeRawBufferPointer, path: String, fileOffset: Int) throws {
        guard bytes.count >= 4 else { throw Malformed(byteOffset: fileOffset, detail: "a flatbuffer of \(bytes.count) bytes") }
        let root = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian)
        try self.init(bytes: bytes, position: root, path: path, fileOffset: fileOffset)
    }

    private init(bytes: UnsafeRawBufferPointer, position: Int, path: String, fileOffset: Int) throws {
        self.bytes = bytes
        self.position = position
        self.path = path
        self.fileOffset = fileOffset
        _ = try vtable()
    }

    private func check(_ at: Int, _ count: Int) throws {
        guard at >= 0, count >= 0, at <= bytes.count - count else {
            throw Malformed(byteOffset: fileOffset + max(at, 0), detail: "flatbuffer field at \(at) (+\(count)) outside its \(bytes.count) bytes")
        }
    }

    private func u32(at: Int) throws -> UInt32 { try check(at, 4); return bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian }
    private func u16(at: Int) throws -> UInt16 { try check(at, 2); return bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian }

    private func vtable() throws -> (at: Int, byteCount: Int) {
        let back = Int(Int32(bitPattern: try u32(at: position)))
        let at = position - back
        let byteCount = Int(try u16(at: at))
        try check(at, byteCount)
        return (at, byteCount)
    }

    /// Where field `index` lies in the buffer, or nil when absent.
    private func fieldPosition(_ index: Int) throws -> Int? {
        let (at, byteCount) = try vtable()
        let entry = 4 + 2 * index
        guard entry + 2 <= byteCount else { return nil }
        let offset = Int(try u16(at: at + entry))
        return offset == 0 ? nil : position + offset
    }

    func scalar<T: FixedWidthInteger>(_ index: Int, default value: T) throws -> T {
        guard let at = try fieldPosition(index) else { return value }
        try check(at, MemoryLayout<T>.size)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    private func target(_ index: Int) throws -> Int? {
        guard let at = try fieldPosition(index) else { return nil }
        return at + Int(try u32(at: at))
    }

    func table(_ index: Int) throws -> FlatBufferTable? {
        guard let at = try target(index) else { return nil }
        return try FlatBufferTable(bytes: bytes, position: at, path: path, fileOffset: fileOffset)
    }

    func string(_ index: Int) throws -> String? {
        guard let at = try target(index) else { return nil }
        let count = Int(try u32(at: at))
        try check(at + 4, count)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 4)..<(at + 4 + count)]), as: UTF8.self)
    }

    func tables(_ index: Int) throws -> [FlatBufferTable] {
        guard let at = try target(index) else { return [] }
        let count = Int(try u32(at: at))
        try check(at + 4, count * 4)
        return try (0..<count).map { i in
            let element = at + 4 + 4 * i
            return try FlatBufferTable(bytes: bytes, position: element + Int(try u32(at: element)), path: path, fileOffset: fileOffset)
        }
    }

    /// A vector of structs of `count` i64 fields each (Arrow's FieldNode and Buffer).
    func int64Structs(_ index: Int, fields: Int) throws -> [[Int64]] {
        guard let at = try target(index) else { return [] }
        let count = Int(try u32(at: at))
        try check(at + 4, count * 8 * fields)
        return (0..<count).map { i in
            (0..<fields).map { f in Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 4 + (i * fields + f) * 8, as: Int64.self)) }
        }
    }
}
