import Foundation

/// A safetensors file mapped read-only. The whole header is validated on open (see
/// `init(path:)`), so later reads only index into the mapping; tensor bytes are not copied
/// until `floats(_:)` or touched until `withRawBytes(_:_:)`.
public final class SafetensorsFile: @unchecked Sendable {
    /// Largest header accepted, as in the reference implementation (guards against a garbage
    /// length making us parse gigabytes as JSON).
    public static let maxHeaderByteCount = 100_000_000

    /// The file as opened (used in every error).
    public let path: String
    /// Every tensor in the file by name (the `__metadata__` entry is not a tensor).
    public let tensors: [String: TensorInfo]
    /// The header's `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Tensor names in the order of their data in the file.
    public let tensorNames: [String]
    /// Byte offset of the data section (8 + header length).
    public let dataByteOffset: Int

    private let file: MappedFile

    /// Maps the file and validates: the u64 LE header length (≤ 100 MB and within the file),
    /// the header is a JSON object, every entry has dtype/shape/data_offsets of the right
    /// types, a known dtype, offsets inside the data section that span exactly
    /// elementCount * byteWidth bytes, no two tensors overlap, and `__metadata__` maps strings
    /// to strings.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        self.path = path
        guard file.byteCount >= 8 else {
            throw TensorIOError.truncated(path: path, byteOffset: 0, neededByteCount: 8, fileByteCount: file.byteCount, what: "the u64 header length")
        }
        let headerByteCount = file.withBytes(0..<8) { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerByteCount <= UInt64(Self.maxHeaderByteCount), headerByteCount <= UInt64(file.byteCount - 8) else {
            throw TensorIOError.headerTooLarge(path: path, headerByteCount: headerByteCount, limitByteCount: Self.maxHeaderByteCount, fileByteCount: file.byteCount)
        }
        let headerEnd = 8 + Int(headerByteCount)
        dataByteOffset = headerEnd
        let dataByteCount = file.byteCount - headerEnd

        let headerBytes = file.withBytes(8..<headerEnd) { Data($0) }
        let header: SafetensorsHeader
        do {
            header = try JSONDecoder().decode(SafetensorsHeader.self, from: headerBytes)
        } catch {
            throw TensorIOError.invalidHeader(path: path, byteOffset: 8, detail: SafetensorsHeader.describe(error))
        }

        switch header.metadata {
        case nil: metadata = [:]
        case let .success(map): metadata = map
        case let .failure(error): throw TensorIOError.invalidMetadata(path: path, detail: SafetensorsHeader.describe(error))
        }

        var tensors: [String: TensorInfo] = [:]
        for (name, result) in header.entries {
            let entry: SafetensorsHeader.Entry
            switch result {
            case let .success(e): entry = e
            case let .failure(error): throw TensorIOError.malformedTensorEntry(path: path, tensor: name, detail: SafetensorsHeader.describe(error))
            }
            guard let dtypeName = entry.dtype else { throw TensorIOError.malformedTensorEntry(path: path, tensor: name, detail: "missing field \"dtype\"") }
            guard let shape = entry.shape else { throw TensorIOError.malformedTensorEntry(path: path, tensor: name, detail: "missing field \"shape\"") }
            guard let offsets = entry.dataOffsets else { throw TensorIOError.malformedTensorEntry(path: path, tensor: name, detail: "missing field \"data_offsets\"") }
            guard let dtype = TensorDType(rawValue: dtypeName) else { throw TensorIOError.unknownDType(path: path, tensor: name, dtype: dtypeName) }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw TensorIOError.malformedTensorEntry(path: path, tensor: name, detail: "shape \(shape) has a negative dimension")
            }
            guard offsets.count == 2 else {
                throw TensorIOError.malformedTensorEntry(path: path, tensor: name, detail: "data_offsets has \(offsets.count) values (expected [begin, end])")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataByteCount else {
                throw TensorIOError.offsetsOutOfBounds(path: path, tensor: name, begin: begin, end: end, dataByteCount: dataByteCount)
            }
            // Overflow-checked, so a crafted shape cannot wrap around to a small byte count.
            var expected: Int? = dtype.byteWidth
            for dim in shape {
                guard let sofar = expected else { break }
                let (product, overflow) = sofar.multipliedReportingOverflow(by: dim)
                expected = overflow ? nil : product
            }
            guard let expectedByteCount = expected, expectedByteCount == end - begin else {
                throw TensorIOError.sizeMismatch(path: path, tensor: name, shape: shape, dtype: dtype,
                                                 expectedByteCount: expected ?? Int.max, actualByteCount: end - begin)
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: (headerEnd + begin)..<(headerEnd + end))
        }

        // Sorting by start makes any overlap show up between neighbours. Empty tensors own no
        // bytes and cannot overlap anything.
        let sorted = tensors.values.filter { !$0.byteRange.isEmpty }.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound)
        }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.byteRange.lowerBound < a.byteRange.upperBound {
            throw TensorIOError.overlappingTensors(path: path, first: a.name, second: b.name,
                                                   firstRange: (a.byteRange.lowerBound - headerEnd)..<(a.byteRange.upperBound - headerEnd),
                                                   secondRange: (b.byteRange.lowerBound - headerEnd)..<(b.byteRange.upperBound - headerEnd))
        }
        self.tensors = tensors
        self.tensorNames = tensors.values.sorted { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }.map(\.name)
    }

    /// The tensor's description, or an error listing the names closest to `name`.
    public func info(_ name: String) throws -> TensorInfo {
        if let info = tensors[name] { return info }
        throw TensorIOError.tensorNotFound(path: path, tensor: name, nearNames: NearNames.closest(to: name, among: Array(tensors.keys)))
    }

    /// The tensor converted to Float (from F32, F16, BF16 or F64), in C order.
    public func floats(_ name: String) throws -> [Float] {
        var out = [Float]()
        try floats(name, into: &out)
        return out
    }

    /// The tensor converted to Float into `out` (resized to elementCount), for reuse of a buffer.
    public func floats(_ name: String, into out: inout [Float]) throws {
        let info = try info(name)
        guard info.dtype.isFloatingPoint else {
            throw TensorIOError.unsupportedConversion(path: path, tensor: name, dtype: info.dtype, wanted: "Float")
        }
        let count = info.elementCount
        if out.count != count { out = [Float](repeating: 0, count: count) }
        file.withBytes(info.byteRange) { src in
            out.withUnsafeMutableBufferPointer { dst in info.dtype.decode(src, into: dst) }
        }
    }

    /// Calls `body` with the tensor's bytes exactly as stored (little-endian, C order).
    /// The buffer is only valid inside `body`.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(name)
        return try file.withBytes(info.byteRange, body)
    }
}
