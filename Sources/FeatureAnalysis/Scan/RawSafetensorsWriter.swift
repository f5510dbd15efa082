import Foundation

/// Writes safetensors files from typed arrays as they are (TensorIO's writer takes Floats,
/// which cannot hold row numbers past 2^24 exactly). Same layout: u64 LE header length, the
/// JSON header padded with spaces to 8 bytes, then each tensor's little-endian bytes.
struct RawSafetensorsWriter {
    private var header: [String] = []
    private var data: [UInt8] = []

    mutating func add(_ name: String, shape: [Int], int64 values: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) vs \(values.count) values")
        append(name, "I64", shape) { data in for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { data.append(contentsOf: $0) } } }
    }

    mutating func add(_ name: String, shape: [Int], float32 values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) vs \(values.count) values")
        append(name, "F32", shape) { data in for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } } }
    }

    mutating func add(_ name: String, shape: [Int], float64 values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) vs \(values.count) values")
        append(name, "F64", shape) { data in for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } } }
    }

    private mutating func append(_ name: String, _ dtype: String, _ shape: [Int], _ body: (inout [UInt8]) -> Void) {
        let begin = data.count
        body(&data)
        header.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(data.count)]}")
    }

    /// Writes the file atomically (a temporary file renamed into place).
    func write(to url: URL) throws {
        var json = Array("{\(header.joined(separator: ","))}".utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file: [UInt8] = []
        file.reserveCapacity(8 + json.count + data.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file += json
        file += data
        try Data(file).write(to: url, options: .atomic)
    }
}
