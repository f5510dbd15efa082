/// A NumPy .npy file (format 1.0, 2.0 or 3.0) mapped read-only and read as rows.
/// Arrays are viewed as (rows, width): 1-D (n,) is n rows of width 1, 2-D is as stored,
/// 3-D (batch, context, width) — the layout of SAELens activation caches — is
/// batch·context rows. Only C order is read.
public final class NPYFile: @unchecked Sendable {
    /// The file as opened (used in every error).
    public let path: String
    /// Element type as stored (byte order is handled on read).
    public let dtype: TensorDType
    /// Whether elements are stored big-endian ('>' descr).
    public let isBigEndian: Bool
    /// The array's shape as stored.
    public let shape: [Int]
    /// Byte offset of the first element.
    public let dataByteOffset: Int

    private let file: MappedFile

    /// Maps the file and parses its header. Throws `TensorIOError.npyBadMagic`,
    /// `.npyUnsupportedVersion`, `.npyBadHeader`, `.npyUnsupportedDType`, `.npyFortranOrder`,
    /// `.npyUnsupportedShape` (0-D or over 3-D) or `.truncated` when the data is shorter than the
    /// shape says.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        let header = try file.withBytes(0..<file.byteCount) { try NPYHeader(path: path, bytes: $0) }
        guard (1...3).contains(header.shape.count) else {
            throw TensorIOError.npyUnsupportedShape(path: path, shape: header.shape)
        }
        var elementCount = 1
        for dim in header.shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw TensorIOError.npyUnsupportedShape(path: path, shape: header.shape) }
            elementCount = product
        }
        let (neededByteCount, overflow) = elementCount.multipliedReportingOverflow(by: header.dtype.byteWidth)
        let availableByteCount = file.byteCount - header.dataByteOffset
        guard !overflow, neededByteCount <= availableByteCount else {
            throw TensorIOError.truncated(path: path, byteOffset: header.dataByteOffset, neededByteCount: overflow ? Int.max : neededByteCount,
                                          fileByteCount: file.byteCount, what: "array data of shape \(header.shape) and dtype \(header.dtype.rawValue)")
        }
        self.file = file
        self.path = path
        self.dtype = header.dtype
        self.isBigEndian = header.bigEndian
        self.shape = header.shape
        self.dataByteOffset = header.dataByteOffset
    }

    /// Rows in the (rows, width) view.
    public var rowCount: Int { shape.count == 1 ? shape[0] : shape.dropLast().reduce(1, *) }

    /// Elements per row in the (rows, width) view.
    public var width: Int { shape.count == 1 ? 1 : shape[shape.count - 1] }

    /// Converts rows `range` to Float into `out`, which is resized to range.count · width
    /// only when its size differs, so a reused buffer costs no allocation.
    public func readRows(_ range: Range<Int>, into out: inout [Float]) throws {
        guard range.lowerBound >= 0, range.upperBound <= rowCount else {
            throw TensorIOError.rowRangeOutOfBounds(path: path, requested: range, rowCount: rowCount)
        }
        let count = range.count * width
        if out.count != count {
            out.removeAll(keepingCapacity: true)
            out.append(contentsOf: repeatElement(0, count: count))
        }
        let rowByteCount = width * dtype.byteWidth
        let start = dataByteOffset + range.lowerBound * rowByteCount
        let bytes = start..<(start + range.count * rowByteCount)
        file.withBytes(bytes) { src in
            out.withUnsafeMutableBufferPointer { dst in dtype.decode(src, into: dst, bigEndian: isBigEndian) }
        }
    }

    /// All rows as Float, row-major.
    public func allFloats() throws -> [Float] {
        var out = [Float]()
        try readRows(0..<rowCount, into: &out)
        return out
    }
}
