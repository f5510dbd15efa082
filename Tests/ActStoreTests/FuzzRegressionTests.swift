import Foundation
import XCTest
@testable import ActStore

/// Inputs found by the libFuzzer targets in fuzz/ (scripts/fuzz.sh), kept as regression tests.
/// Each crashed before its fix; each must now come back as a typed error.
final class FuzzRegressionTests: XCTestCase {
    /// fuzz/regressions/<name>, found from the package root by #filePath.
    private func regressionInput(_ name: String) throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return [UInt8](try Data(contentsOf: root.appendingPathComponent("fuzz/regressions/\(name)")))
    }

    /// Found by fuzz/records: a commit state whose chunk count is ≥ 2^63 trapped in
    /// `Int(UInt64)` instead of being reported as a damaged index.
    func testCommitStateWithCountBeyondIntIsRefused() throws {
        let bytes = try regressionInput("records-commitstate-count-overflow.bin")
        XCTAssertThrowsError(try CommitState(decoding: bytes)) { XCTAssertTrue($0 is RecordReader.Short, "\($0)") }

        // The same bytes as a real store's commit state: opening it is a corruptIndex error.
        let path = temporaryDirectory(self, "state")
        do {
            let writer = try StoreWriter.create(at: path, manifest: manifest(width: 8, codec: .f32))
            try writer.append(makeDocument(0, width: 8))
            try writer.commit()
            try writer.env.withTransaction(write: true) { try $0.put(.meta, StoreFormat.MetaKey.state, bytes) }
        }
        XCTAssertThrowsError(try StoreReader(path: path)) { error in
            guard case StoreError.corruptIndex(_, "meta", _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(StoreVerifier.verify(path: path).isSound)
    }

    /// The other u64 fields and keys the same fuzz target reaches: chunk byte offsets,
    /// document first rows, and big-endian ids at or beyond 2^62 are refused, not trapped on
    /// (2^62 keeps `firstRow + tokenCount` and `byteOffset + length` from overflowing too).
    func testRecordFieldsBeyondTheCountLimitAreRefused() throws {
        var chunk = ChunkRecord(codec: .f32, byteShuffle: true, segment: 0, byteOffset: 64, compressedByteCount: 10,
                                rawByteCount: 40, firstRow: 0, rowCount: 10, checksum: 7).encoded()
        XCTAssertNoThrow(try ChunkRecord(decoding: chunk))
        chunk.replaceSubrange(8..<16, with: [0, 0, 0, 0, 0, 0, 0, 0x40])  // byteOffset = 2^62
        XCTAssertThrowsError(try ChunkRecord(decoding: chunk))

        var doc = DocumentRecord(firstRow: 5, tokenCount: 3, sourceID: 0, sourceIndex: 1, textByteCount: 9).encoded()
        XCTAssertEqual(try DocumentRecord(decoding: doc).rows, 5..<8)
        doc.replaceSubrange(1..<9, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])  // firstRow = 2^64-1
        XCTAssertThrowsError(try DocumentRecord(decoding: doc))

        XCTAssertEqual(IndexKey.decodeU64(IndexKey.u64((1 << 62) - 1)), (1 << 62) - 1)
        XCTAssertNil(IndexKey.decodeU64(IndexKey.u64(1 << 62)))
        XCTAssertNil(IndexKey.decodeU64(IndexKey.u64(UInt64.max)))
        let key = IndexKey.chunk(column: 1, chunk: 0).prefix(2) + IndexKey.u64(UInt64.max)
        XCTAssertNil(Array(key).withUnsafeBytes { IndexKey.decodeChunk($0) })
    }
}
