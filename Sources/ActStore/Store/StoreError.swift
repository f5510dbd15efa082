import Foundation

/// Everything that can go wrong with a store, each case naming the store and where.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The directory is missing, or is not a saestore store (no index, wrong magic).
    case notAStore(path: String, reason: String)
    /// Made by a newer saestore whose format this build cannot read.
    case newerFormat(path: String, found: UInt32, supported: UInt32)
    /// `create` was asked for a directory that already holds a store or other files.
    case alreadyExists(path: String)
    /// Another process holds the writer lock.
    case locked(path: String)
    /// A request was refused: a bad manifest or column spec, a chunk number outside the
    /// store, a row range text that does not parse or does not fit (`RowRange`), a float column
    /// read as integers (or the reverse), documents added to a bare-rows store, writer calls out
    /// of order, a value too large for a u32 column. The message is the whole description.
    case invalidArgument(String)
    /// No column of that name; `available` lists the store's columns, in index order.
    case missingColumn(store: String, column: String, available: [String])
    /// A chunk's bytes do not match its checksum, or do not decode.
    case corruptChunk(store: String, column: String, chunk: Int, segment: String, byteOffset: Int, detail: String)
    /// A chunk reaches past the end of its segment file.
    case truncatedSegment(store: String, column: String, chunk: Int, segment: String, byteOffset: Int, chunkBytes: Int, fileBytes: Int)
    /// The segment file a chunk record names does not exist (deleted, or not copied with the
    /// store); also thrown when a writer opens a store whose committed tail segment is gone.
    case missingSegment(store: String, column: String, chunk: Int, segment: String)
    /// An index record is malformed or inconsistent with the rest of the index.
    case corruptIndex(store: String, table: String, detail: String)
    /// A file-system call failed: `operation` is what was attempted (mkdir, open, fsync, unlink
    /// ...), `errno` the POSIX error. A full disk or a permission error gets a hint in the
    /// description.
    case io(path: String, operation: String, errno: Int32)
    /// A row, or a row range, reaches outside 0..<rowCount; `row` is the offending row (for a
    /// range, its lower bound when that is negative, else its last row).
    case rowOutOfRange(store: String, row: Int, rowCount: Int)
    /// A document number outside 0..<documentCount of the reader's snapshot.
    case docNotFound(store: String, doc: Int)
    /// A value the column's codec cannot hold (f16 beyond ±65504, NaN in int8 ...).
    case valueNotRepresentable(column: String, row: Int, value: Float, codec: ColumnCodec)
    /// LMDB failed for a reason other than a damaged file (map full, out of reader slots,
    /// permissions ...); `detail` is LMDB's message. Damage is `corruptIndex`.
    case index(store: String, detail: String)

    /// The message the CLI prints: what went wrong, where (store, column, chunk, segment, byte
    /// offset), and what to do next.
    public var description: String {
        switch self {
        case let .notAStore(path, reason):
            return "\(path) is not a saestore store: \(reason). Create one with `saestore ingest` or `saestore import`."
        case let .newerFormat(path, found, supported):
            return "\(path) was written in store format \(found), newer than this saestore reads (\(supported)). Upgrade saestore to read it."
        case let .alreadyExists(path):
            return "\(path) already exists and is not empty; choose a new directory or remove it."
        case let .locked(path):
            return "\(path) is being written by another process (writer lock held); wait for it to finish."
        case let .invalidArgument(message):
            return message
        case let .missingColumn(store, column, available):
            return "\(store) has no column \"\(column)\"; it has: \(available.joined(separator: ", "))."
        case let .corruptChunk(store, column, chunk, segment, offset, detail):
            return "\(store): column \(column) chunk \(chunk) at \(segment) byte \(offset) is corrupt: \(detail). Run `saestore verify \(store)` for the full damage report."
        case let .truncatedSegment(store, column, chunk, segment, offset, chunkBytes, fileBytes):
            return "\(store): column \(column) chunk \(chunk) needs bytes \(offset)..<\(offset + chunkBytes) of \(segment), but the file has only \(fileBytes) bytes (truncated segment)."
        case let .missingSegment(store, column, chunk, segment):
            return "\(store): column \(column) chunk \(chunk) lives in \(segment), which is missing."
        case let .corruptIndex(store, table, detail):
            return "\(store): index table \(table) is damaged: \(detail)."
        case let .io(path, operation, errno):
            let message = "\(operation) \(path) failed: \(String(cString: strerror(errno)))"
            switch errno {
            case ENOSPC, EDQUOT:
                return message + ". Hint: free space on that disk; the store keeps its last commit, and rerunning the same command (or reopening the writer) continues from it."
            case EACCES, EPERM, EROFS:
                return message + ". Hint: check the permissions of the store directory and that its disk is writable."
            default:
                return message + "."
            }
        case let .rowOutOfRange(store, row, rowCount):
            return "\(store): row \(row) is out of range (the store has \(rowCount) rows)."
        case let .docNotFound(store, doc):
            return "\(store): no document \(doc)."
        case let .valueNotRepresentable(column, row, value, codec):
            return "column \(column) row \(row): value \(value) cannot be stored as \(codec.rawValue); use --dtype f32 or bf16."
        case let .index(store, detail):
            return "\(store): index error: \(detail)"
        }
    }
}
