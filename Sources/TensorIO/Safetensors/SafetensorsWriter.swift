/// Writes safetensors files: u64 LE header length, a JSON header padded with spaces to a
/// multiple of 8 bytes (as the reference implementation does, so data stays aligned), then
/// the tensors' bytes in the order given.
public enum SafetensorsWriter {
    /// One tensor to write: name, shape, and values in the element type they are stored as.
    public struct Tensor: Sendable {
        /// Values as the caller holds them. Floats convert to any `TensorDType` (integer
        /// dtypes need integral values in range); `int64` and `float64` are stored exactly
        /// as I64 and F64 (Floats cannot hold row numbers past 2^24).
        public enum Values: Sendable {
            /// Floats stored as the given dtype (rounded for f16/bf16; integer dtypes need integral values in range).
            case floats([Float], TensorDType)
            /// Integers stored exactly as I64 (row numbers, token ids).
            case int64([Int])
            /// Doubles stored exactly as F64.
            case float64([Double])
        }

        /// Key in the JSON header (e.g. `W_enc`).
        public var name: String
        /// Dimensions, outermost first (C order); their product must equal the value count.
        public var shape: [Int]
        /// The values and the dtype they are stored as.
        public var values: Values

        /// Takes the fields as given; the writer checks shape against value count when it writes.
        public init(name: String, shape: [Int], values: Values) {
            self.name = name
            self.shape = shape
            self.values = values
        }

        var dtype: TensorDType {
            switch values {
            case .floats(_, let dtype): return dtype
            case .int64: return .i64
            case .float64: return .f64
            }
        }

        var count: Int {
            switch values {
            case .floats(let v, _): return v.count
            case .int64(let v): return v.count
            case .float64(let v): return v.count
            }
        }

        /// Appends the little-endian bytes of values `range`; the index of a value the dtype
        /// cannot represent, if any.
        func encode(_ range: Range<Int>, appendingTo out: inout [UInt8]) -> Int? {
            switch values {
            case .floats(let v, let dtype): return dtype.encode(v[range], appendingTo: &out).map { range.lowerBound + $0 }
            case .int64(let v): for x in v[range] { withUnsafeBytes(of: Int64(x).littleEndian) { out.append(contentsOf: $0) } }
            case .float64(let v): for x in v[range] { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            }
            return nil
        }

        func describe(_ index: Int) -> String {
            switch values {
            case .floats(let v, _): return "\(v[index])"
            case .int64(let v): return "\(v[index])"
            case .float64(let v): return "\(v[index])"
            }
        }
    }

    /// Writes `tensors` in the given order, each converted from Float to its `dtype`
    /// (integer dtypes need integral values in range). The file appears under `path` only
    /// once complete.
    public static func write(path: String, tensors: [(name: String, shape: [Int], values: [Float], dtype: TensorDType)],
                             metadata: [String: String] = [:]) throws {
        try write(path: path, tensors: tensors.map { Tensor(name: $0.name, shape: $0.shape, values: .floats($0.values, $0.dtype)) },
                  metadata: metadata)
    }

    /// Writes `tensors` in the given order. The file appears under `path` only once complete.
    public static func write(path: String, tensors: [Tensor], metadata: [String: String] = [:]) throws {
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
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.count else {
                throw TensorIOError.invalidWrite(path: path, detail: "tensor '\(tensor.name)' has shape \(tensor.shape) but \(tensor.count) values")
            }
            let byteCount = tensor.count * tensor.dtype.byteWidth
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
            while start < tensor.count {
                let end = min(start + sliceCount, tensor.count)
                buffer.removeAll(keepingCapacity: true)
                if let bad = tensor.encode(start..<end, appendingTo: &buffer) {
                    throw TensorIOError.invalidWrite(path: path, detail: "tensor '\(tensor.name)' value \(tensor.describe(bad)) at index \(bad) is not representable as \(tensor.dtype.rawValue)")
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
