import Foundation
import TensorIO

/// One part of a cache made elsewhere (a .npy/.safetensors file per column, or a SAELens
/// cache's Arrow files), identified by its bytes so that bringing the same part in twice is
/// refused: a CRC-32C over the files' bytes in order, and their total size.
///
/// By bytes, not by name: the same shard copied or renamed is still the same part, and a
/// part rewritten in place with other rows is a new one. A CRC-32C is no cryptographic hash;
/// two different parts of the same size collide with probability 2^-32, which at worst
/// refuses a genuine part (nothing is lost: the error names both).
public struct AppendPart: Sendable, Equatable {
    /// The part's files, in the order their bytes were checksummed: the same files in another order
    /// give another fingerprint.
    public let files: [String]
    /// Total bytes of the files.
    public let byteCount: Int
    /// CRC-32C of the files' bytes, concatenated in order.
    public let checksum: UInt32

    /// Reads every byte of `files` (mapped, so a large part costs no memory of its own).
    public init(files: [String]) throws {
        self.files = files
        var crc: UInt32 = 0
        var total = 0
        for file in files {
            let mapped = try MappedFile(path: file)
            crc = mapped.withBytes(0..<mapped.byteCount) { CRC32C.checksum($0, seed: crc) }
            total += mapped.byteCount
        }
        byteCount = total
        checksum = crc
    }

    /// `CRC32C-BYTES`, e.g. `1a2b3c4d-1048704`.
    public var fingerprint: String { String(format: "%08x-%d", checksum, byteCount) }

    /// The part's key in the `cursor` table.
    var cursorKey: String { AppendPart.cursorPrefix + fingerprint }

    static let cursorPrefix = "part:"

    /// The `cursor` entry that records this part as brought in: give it to the commit that
    /// brings the part's rows in (`StoreWriter.commit(cursor:)`), so both land together.
    public func cursorEntry(_ record: AppendRecord) throws -> [String: [UInt8]] {
        [cursorKey: Array(try JSONEncoder.sorted.encode(record))]
    }
}

extension StoreWriter {
    /// The record of `part` if it was brought into this store before (nil if not, or if it
    /// came in before parts were recorded).
    public func earlierAppend(of part: AppendPart) throws -> AppendRecord? {
        guard let bytes = try committedCursor()[part.cursorKey] else { return nil }
        do {
            return try JSONDecoder().decode(AppendRecord.self, from: Data(bytes))
        } catch {
            throw StoreError.corruptIndex(store: path, table: "cursor", detail: "entry \(part.cursorKey) is not an append record: \(error)")
        }
    }
}
