import ActStore
import Foundation

/// What makes scan results belong to one store in one state: its provenance, sizes, the
/// scanned column and fingerprints of the scanned column's and the token ids' chunks (their
/// CRC-32Cs, so any rewrite of the activations or tokens changes it). Adding other columns to
/// the store leaves it alone; appending rows does not.
public struct StoreIdentity: Codable, Sendable, Equatable {
    /// Store directory as given at scan time (absolute).
    public var path: String
    /// Store format version.
    public var formatVersion: UInt32
    /// Rows in the store.
    public var rowCount: Int
    /// Documents in the store.
    public var documentCount: Int
    /// Rows per chunk.
    public var chunkRows: Int
    /// Model the activations came from, when the store records it.
    public var model: String?
    /// Context window the model saw each row in, when recorded.
    public var contextSize: Int?
    /// Whether windows began with BOS, when recorded.
    public var prependBOS: Bool?
    /// The scanned column.
    public var column: ColumnSpec
    /// CRC-32C over (first row, rows, CRC-32C) of every chunk of the scanned column, hex.
    public var columnFingerprint: String
    /// The same over `token_id` (nil for bare rows).
    public var tokenFingerprint: String?
    /// The store's provenance notes (recorded, not compared).
    public var notes: [String: String]

    /// Reads the identity of `reader`'s store for `column`.
    public init(reader: any StoreReading, column: String) throws {
        let manifest = reader.manifest
        path = URL(fileURLWithPath: reader.path).standardizedFileURL.path
        formatVersion = manifest.formatVersion
        rowCount = reader.rowCount
        documentCount = reader.documentCount
        chunkRows = manifest.chunkRows
        model = manifest.model
        contextSize = manifest.contextSize
        prependBOS = manifest.prependBOS
        self.column = try reader.spec(column)
        columnFingerprint = try StoreIdentity.fingerprint(reader.chunkRecords(column: column))
        tokenFingerprint = manifest.columnIndex(TokenColumn.tokenID) == nil ? nil
            : try StoreIdentity.fingerprint(reader.chunkRecords(column: TokenColumn.tokenID))
        notes = manifest.notes
    }

    static func fingerprint(_ records: [ChunkRecord]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.count * 20)
        for record in records {
            withUnsafeBytes(of: UInt64(record.firstRow).littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt64(record.rowCount).littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: record.checksum.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return String(format: "%08x-%d", CRC32C.checksum(bytes), records.count)
    }

    /// Whether results with this identity describe the same data as `other` (the path may
    /// differ: a store can be moved).
    public func sameData(as other: StoreIdentity) -> Bool {
        formatVersion == other.formatVersion && rowCount == other.rowCount && documentCount == other.documentCount
            && chunkRows == other.chunkRows && model == other.model && contextSize == other.contextSize
            && prependBOS == other.prependBOS && column == other.column
            && columnFingerprint == other.columnFingerprint && tokenFingerprint == other.tokenFingerprint
    }

    /// One line for error messages.
    public var summary: String {
        "\(path) (\(rowCount) rows, \(documentCount) docs, \(column.name) chunks \(columnFingerprint))"
    }
}
