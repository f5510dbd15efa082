/// Streams rows into a 2-D C-order .npy file whose shape is known up front. The file is
/// written under a temporary name and appears under `path` only when `finish()` has checked
/// that exactly `rowCount` rows arrived.
public final class NPYWriter {
    /// Final path of the file; until `finish()` the bytes go to a temporary name beside it.
    public let path: String
    /// Rows the header declares; `finish()` fails unless exactly this many were appended.
    public let rowCount: Int
    /// Elements per row (the second dimension of the (rowCount, width) array).
    public let width: Int
    /// Element type on disk: `.f32` (`<f4`) or `.f16` (`<f2`, converted on append).
    public let dtype: TensorDType
    /// Rows appended so far.
    public private(set) var writtenRowCount = 0

    private var sink: FileSink?
    private var buffer: [UInt8] = []

    /// `dtype` must be .f32 or .f16.
    public init(path: String, rowCount: Int, width: Int, dtype: TensorDType = .f32) throws {
        guard dtype == .f32 || dtype == .f16 else {
            throw TensorIOError.invalidWrite(path: path, detail: "NPYWriter writes f32 or f16, not \(dtype.rawValue)")
        }
        guard rowCount >= 0, width >= 1 else {
            throw TensorIOError.invalidWrite(path: path, detail: "shape (\(rowCount), \(width)) needs rowCount >= 0 and width >= 1")
        }
        self.path = path
        self.rowCount = rowCount
        self.width = width
        self.dtype = dtype
        let sink = try FileSink(path: path)
        try sink.write(NPYHeader.encode(descr: dtype == .f32 ? "<f4" : "<f2", shape: [rowCount, width]))
        self.sink = sink
    }

    /// Appends whole rows; `values.count` must be a multiple of `width`.
    public func append(rows values: [Float]) throws {
        guard let sink else { throw TensorIOError.invalidWrite(path: path, detail: "append after finish()") }
        guard values.count % width == 0 else {
            throw TensorIOError.invalidWrite(path: path, detail: "append of \(values.count) values is not a whole number of rows of width \(width)")
        }
        let newRows = values.count / width
        guard writtenRowCount + newRows <= rowCount else {
            throw TensorIOError.invalidWrite(path: path, detail: "appending \(newRows) rows after \(writtenRowCount) exceeds the declared \(rowCount) rows")
        }
        if dtype == .f32 {
            try values.withUnsafeBytes { try sink.write($0) }
        } else {
            buffer.removeAll(keepingCapacity: true)
            _ = dtype.encode(values[...], appendingTo: &buffer)
            try sink.write(buffer)
        }
        writtenRowCount += newRows
    }

    /// Checks the row count and moves the file into place.
    public func finish() throws {
        guard let sink else { throw TensorIOError.invalidWrite(path: path, detail: "finish() called twice") }
        guard writtenRowCount == rowCount else {
            throw TensorIOError.invalidWrite(path: path, detail: "finish() after \(writtenRowCount) rows, but \(rowCount) were declared")
        }
        self.sink = nil
        try sink.commit()
    }
}
