/// Writes safetensors files: u64 LE header length, a JSON header padded with spaces to a
/// multiple of 8 bytes (as the reference implementation does, so data stays aligned), then
/// the tensors' bytes in the order given.
public enum SafetensorsWriter {
    /// Writes `tensors` in the given order, each converted from Float to its `dtype`
    /// (integer dtypes need integral values in range). The file appears under `path` only
    /// once complete.
    public static func write(path: String, tensors: [(name: String, shape: [Int], values: [Float], dtype: TensorDType)],
                             metadata: [String: String] = [:]) throws {
        var seen = Set<String>()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\(jsonString("__metadata__")):{\(pairs.joined(separator: ","))}")
        }
        var dataByteOffset = 0
        for tensor in tensors {
            guard tensor.name != "__metadata__", seen.insert(tensor.name).inserted else {
                throw TensorIOError.invalidWrite(path: path, detail: "tensor name '\(tensor.name)' is reserved or given twice")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.values.count else {
                throw TensorIOError.invalidWrite(path: path, detail: "tensor '\(tensor.name)' has shape \(tensor.shape) but \(tensor.values.count) values")
            }
            let byteCount = tensor.values.count * tensor.dtype.byteWidth
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(dataByteOffset),\(dataByteOffset + byteCount)]}")
            dataByteOffset += byteCount
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        let sink = try FileSink(path: path)
        var prefix: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix.append(contentsOf: $0) }
        try sink.write(prefix)
        try sink.write(header)
        var buffer: [UInt8] = []
        for tensor in tensors {
            // Encode in slices so a large tensor never needs a second full-size copy.
            let sliceCount = 1 << 20
            var start = 0
            while start < tensor.values.count {
                let end = min(start + sliceCount, tensor.values.count)
                buffer.removeAll(keepingCapacity: true)
                if let bad = tensor.dtype.encode(tensor.values[start..<end], appendingTo: &buffer) {
                    throw TensorIOError.invalidWrite(path: path, detail: "tensor '\(tensor.name)' value \(tensor.values[start + bad]) at index \(start + bad) is not representable as \(tensor.dtype.rawValue)")
                }
                try sink.write(buffer)
                start = end
            }
        }
        try sink.commit()
    }

    /// A JSON string literal for `s` (RFC 8259 escaping).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
