import Foundation

/// An Arrow IPC **stream** file (what Hugging Face `datasets` writes as `data-*.arrow`): messages
/// framed as 0xFFFFFFFF, an i32 metadata length, a FlatBuffers `Message`, then its body. The
/// schema comes first, then record batches. This reader takes what SAELens activation caches
/// hold — columns of nested lists or fixed-size lists over a primitive (f16, f32, ints), no
/// nulls — and refuses anything else by name (compression, dictionaries, big-endian).
public final class ArrowStreamFile {
    /// A column's type, as far as this reader needs it.
    public indirect enum FieldType: Equatable, Sendable {
        /// An integer of `bitWidth` bits (8, 16, 32, 64), signed or not (e.g. `token_ids` as int32).
        case int(bitWidth: Int, signed: Bool)
        /// A float of `bitWidth` bits: 16 (half), 32 or 64.
        case float(bitWidth: Int)
        /// A variable-length list (32-bit offsets); its item type is the field's one child.
        case list
        /// A list of exactly this many items (Arrow FixedSizeList); its item type is the field's one child.
        case fixedSizeList(Int)
        /// Any other Arrow type (its Type union code).
        case other(UInt8)
    }

    /// One field of the schema.
    public struct Field: Sendable {
        /// The column name from the schema (in a SAELens cache, `token_ids` or the hook name).
        public var name: String
        /// The field's own type; for a list or fixed-size list, the item type is `children[0].type`.
        public var type: FieldType
        /// Child fields: one item field for list types, none for primitives.
        public var children: [Field]
    }

    /// One record batch: its row count, and per field node (pre-order) its length and null
    /// count, per buffer its byte range in the file.
    struct Batch {
        var rowCount: Int
        var nodes: [(length: Int, nullCount: Int)]
        var buffers: [Range<Int>]
    }

    /// The file as opened (used in every error).
    public let path: String
    /// The schema's top-level columns, in schema order.
    public let fields: [Field]
    let batches: [Batch]
    private let data: Data

    /// Rows over all record batches (the length of each batch's top-level column).
    public var rowCount: Int { batches.reduce(0) { $0 + $1.rowCount } }
    /// Record batches in the stream; `denseColumn(_:batch:)` reads one at a time.
    public var batchCount: Int { batches.count }

    /// Maps the file and walks every message once, recording the schema and each batch's field
    /// nodes and buffer ranges; no column data is read. Throws `ArrowError.malformed` for broken
    /// framing or buffers outside a message body, `.unsupported` for big-endian streams, dictionary
    /// batches, compressed batches or non-record-batch messages.
    public init(path: String) throws {
        self.path = path
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw ArrowError.malformed(path: path, byteOffset: 0, detail: "cannot be read (\(error.localizedDescription))")
        }
        var fields: [Field]?
        var batches: [Batch] = []
        let path = path
        try data.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
            func u32(_ at: Int) throws -> UInt32 {
                guard at >= 0, at + 4 <= file.count else { throw ArrowError.malformed(path: path, byteOffset: at, detail: "the stream ends inside a message header") }
                return file.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
            }
            var at = 0
            while at < file.count {
                var metadataBytes = Int(try u32(at))
                var start = at + 4
                if metadataBytes == 0xFFFF_FFFF {  // the continuation marker of the current format
                    metadataBytes = Int(try u32(at + 4))
                    start = at + 8
                }
                if metadataBytes == 0 { break }  // end-of-stream marker
                guard start + metadataBytes <= file.count else {
                    throw ArrowError.malformed(path: path, byteOffset: at, detail: "message metadata of \(metadataBytes) bytes runs past the file's end (\(file.count) bytes)")
                }
                let message: FlatBufferTable
                let headerType: UInt8
                let bodyBytes: Int
                let header: FlatBufferTable?
                do {
                    message = try FlatBufferTable(root: UnsafeRawBufferPointer(rebasing: file[start..<start + metadataBytes]), path: path, fileOffset: start)
                    headerType = try message.scalar(1, default: UInt8(0))
                    header = try message.table(2)
                    bodyBytes = Int(try message.scalar(3, default: Int64(0)))
                } catch let error as FlatBufferTable.Malformed {
                    throw ArrowError.malformed(path: path, byteOffset: error.byteOffset, detail: error.detail)
                }
                let body = start + metadataBytes
                guard bodyBytes >= 0, body + bodyBytes <= file.count else {
                    throw ArrowError.malformed(path: path, byteOffset: body, detail: "a message body of \(bodyBytes) bytes runs past the file's end (\(file.count) bytes)")
                }
                guard let header else { throw ArrowError.malformed(path: path, byteOffset: start, detail: "a message without a header") }
                do {
                    switch headerType {
                    case 1:
                        guard try header.scalar(0, default: Int16(0)) == 0 else { throw ArrowError.unsupported(path: path, detail: "the stream is big-endian") }
                        fields = try header.tables(1).map(Self.field)
                    case 2:
                        throw ArrowError.unsupported(path: path, detail: "the stream has dictionary batches")
                    case 3:
                        guard fields != nil else { throw ArrowError.malformed(path: path, byteOffset: start, detail: "a record batch before the schema") }
                        if try header.table(3) != nil { throw ArrowError.unsupported(path: path, detail: "its record batches are compressed") }
                        let nodes = try header.int64Structs(1, fields: 2).map { (length: Int($0[0]), nullCount: Int($0[1])) }
                        let buffers = try header.int64Structs(2, fields: 2).map { pair -> Range<Int> in
                            let (offset, length) = (Int(pair[0]), Int(pair[1]))
                            guard offset >= 0, length >= 0, offset + length <= bodyBytes else {
                                throw ArrowError.malformed(path: path, byteOffset: body, detail: "buffer \(offset)..<\(offset + length) outside its \(bodyBytes)-byte message body")
                            }
                            return body + offset..<body + offset + length
                        }
                        batches.append(Batch(rowCount: Int(try header.scalar(0, default: Int64(0))), nodes: nodes, buffers: buffers))
                    default:
                        throw ArrowError.unsupported(path: path, detail: "the stream holds a message of type \(headerType) (tensors?)")
                    }
                } catch let error as FlatBufferTable.Malformed {
                    throw ArrowError.malformed(path: path, byteOffset: error.byteOffset, detail: error.detail)
                }
                at = body + bodyBytes
            }
        }
        guard let fields else { throw ArrowError.malformed(path: path, byteOffset: 0, detail: "no schema message") }
        self.fields = fields
        self.batches = batches
    }

    private static func field(_ table: FlatBufferTable) throws -> Field {
        let name = try table.string(0) ?? ""
        let code: UInt8 = try table.scalar(2, default: 0)
        let typeTable = try table.table(3)
        let type: FieldType
        switch code {
        case 2: type = .int(bitWidth: Int(try typeTable?.scalar(0, default: Int32(0)) ?? 0), signed: try typeTable?.scalar(1, default: UInt8(0)) ?? 0 != 0)
        case 3: type = .float(bitWidth: [16, 32, 64][Int(min(2, max(0, try typeTable?.scalar(0, default: Int16(0)) ?? 0)))])
        case 12: type = .list
        case 16: type = .fixedSizeList(Int(try typeTable?.scalar(0, default: Int32(0)) ?? 0))
        default: type = .other(code)
        }
        return Field(name: name, type: type, children: try table.tables(5).map(Self.field))
    }

    /// Field nodes and buffers a field takes in a batch (pre-order: itself, then its children).
    private static func counts(_ field: Field) -> (nodes: Int, buffers: Int) {
        let own: Int
        switch field.type {
        case .list: own = 2                     // validity, i32 offsets
        case .fixedSizeList: own = 1            // validity
        default: own = 2                        // validity, values
        }
        return field.children.map(counts).reduce((1, own)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }

    /// A column of nested (fixed-size) lists over one primitive, every list of a level the same
    /// length: its shape (rows, then one extent per level) and its leaf values' bytes in row-major
    /// order, batch by batch. Nulls and ragged lists are refused, naming the batch.
    public func denseColumn(_ name: String, batch: Int) throws -> (shape: [Int], leaf: FieldType, bytes: [UInt8]) {
        guard let index = fields.firstIndex(where: { $0.name == name }) else {
            throw ArrowError.column(path: path, name: name, detail: "absent (the file has \(fields.map(\.name).joined(separator: ", ")))")
        }
        let b = batches[batch]
        var node = 0, buffer = 0
        for f in fields[..<index] {
            let c = Self.counts(f)
            node += c.nodes
            buffer += c.buffers
        }
        var shape = [b.rowCount]
        var field = fields[index]
        return try data.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
            func fail(_ detail: String) -> ArrowError { .column(path: path, name: name, detail: "record batch \(batch): \(detail)") }
            while true {
                guard node < b.nodes.count, buffer < b.buffers.count else { throw fail("fewer field nodes or buffers than its type needs") }
                let (length, nulls) = b.nodes[node]
                guard nulls == 0 else { throw fail("\(nulls) null values (a cache has none)") }
                guard length == shape.reduce(1, *) else { throw fail("\(length) values where the lists above hold \(shape.reduce(1, *))") }
                switch field.type {
                case .fixedSizeList(let size):
                    guard field.children.count == 1 else { throw fail("a list type without its item type") }
                    shape.append(size)
                    buffer += 1
                case .list:
                    guard field.children.count == 1 else { throw fail("a list type without its item type") }
                    let offsets = b.buffers[buffer + 1]
                    guard offsets.count >= 4 * (length + 1) else { throw fail("list offsets buffer of \(offsets.count) bytes for \(length) lists") }
                    func offset(_ i: Int) -> Int { Int(Int32(littleEndian: file.loadUnaligned(fromByteOffset: offsets.lowerBound + 4 * i, as: Int32.self))) }
                    let first = offset(0)
                    let extent = length > 0 ? offset(1) - first : 0
                    for i in 0..<length where offset(i + 1) - offset(i) != extent || offset(i) != first + i * extent {
                        throw fail("list \(i) holds \(offset(i + 1) - offset(i)) items, the first holds \(extent): ragged lists")
                    }
                    guard first == 0 else { throw fail("list offsets start at \(first), not 0 (a sliced array)") }
                    shape.append(extent)
                    buffer += 2
                case .int(let bits, _), .float(let bits):
                    let values = b.buffers[buffer + 1]
                    let needed = length * bits / 8
                    guard values.count >= needed else { throw fail("values buffer of \(values.count) bytes, \(length) values need \(needed)") }
                    return (shape, field.type, Array(file[values.lowerBound..<values.lowerBound + needed]))
                case .other(let code):
                    throw ArrowError.unsupported(path: path, detail: "column \(name) has Arrow type code \(code)")
                }
                node += 1
                field = field.children[0]
            }
        }
    }
}
