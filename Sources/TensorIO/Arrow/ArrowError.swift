/// What can be wrong with an Arrow IPC stream file; every case names the file and where.
public enum ArrowError: Error, CustomStringConvertible, Equatable {
    /// A structural problem (framing, flatbuffer bounds, a buffer outside the body) at a byte offset.
    case malformed(path: String, byteOffset: Int, detail: String)
    /// A valid stream this reader does not handle (compression, dictionaries, big-endian…).
    case unsupported(path: String, detail: String)
    /// The column is absent or of another type than the caller needs.
    case column(path: String, name: String, detail: String)

    /// One line naming the file and, for a malformed stream, the byte offset.
    public var description: String {
        switch self {
        case let .malformed(path, offset, detail):
            return "\(path): not a readable Arrow IPC stream at byte \(offset): \(detail)."
        case let .unsupported(path, detail):
            return "\(path): \(detail), which this Arrow reader does not read (it reads uncompressed little-endian streams of primitive, list and fixed-size-list columns, as Hugging Face datasets writes)."
        case let .column(path, name, detail):
            return "\(path): column \(name): \(detail)."
        }
    }
}
