/// Rows of one column waiting to be cut into a chunk.
struct ColumnBuffer {
    let width: Int
    let isFloat: Bool
    private(set) var floats: [Float] = []
    private(set) var integers: [UInt64] = []
    private var narrow: [UInt32] = []

    init(spec: ColumnSpec) {
        width = spec.width
        isFloat = spec.codec.isFloat
    }

    mutating func append(floats values: [Float]) { floats.append(contentsOf: values) }
    mutating func append(integers values: [UInt32]) { integers.append(contentsOf: values.lazy.map { UInt64($0) }) }
    mutating func append(integers values: [UInt64]) { integers.append(contentsOf: values) }
    mutating func append(repeating value: UInt64, count: Int) { integers.append(contentsOf: repeatElement(value, count: count)) }

    mutating func encodePrefix(rowCount: Int, spec: ColumnSpec, firstRow: Int, into payload: inout [UInt8]) throws {
        if isFloat {
            try floats.withUnsafeBufferPointer { all in
                let prefix = UnsafeBufferPointer(rebasing: all[0..<rowCount * width])
                try ChunkCodec.encode(floats: prefix, rows: rowCount, width: width, spec: spec, firstRow: firstRow, into: &payload)
            }
        } else if spec.codec == .u32 {
            narrow.removeAll(keepingCapacity: true)
            for (i, v) in integers[0..<rowCount * width].enumerated() {
                guard v <= UInt64(UInt32.max) else {
                    throw StoreError.invalidArgument("column \(spec.name) row \(firstRow + i / width): \(v) does not fit u32")
                }
                narrow.append(UInt32(v))
            }
            narrow.withUnsafeBytes { ChunkCodec.encode(integers: $0, spec: spec, into: &payload) }
        } else {
            integers.withUnsafeBytes { all in
                ChunkCodec.encode(integers: UnsafeRawBufferPointer(rebasing: all[0..<rowCount * width * 8]), spec: spec, into: &payload)
            }
        }
    }

    mutating func removePrefix(rowCount: Int) {
        if isFloat { floats.removeFirst(rowCount * width) } else { integers.removeFirst(rowCount * width) }
    }
}
