import XCTest
@testable import ActStore

/// Damage is injected into real stores; every kind must come back as a typed error that
/// names the place, from reads and from verify, never as a crash or wrong numbers.
final class CorruptionTests: XCTestCase {
    private func makeStore(_ name: String) throws -> (path: String, rows: Int) {
        let path = temporaryDirectory(self, name)
        let writer = try StoreWriter.create(at: path, manifest: manifest(width: 16, codec: .f16, chunkRows: 64, segmentBytes: 1 << 16))
        for i in 0..<30 { try writer.append(makeDocument(i, width: 16)) }
        try writer.commit()
        return (path, writer.committedRowCount)
    }

    private func record(_ path: String, chunk: Int) throws -> ChunkRecord {
        try StoreReader(path: path).chunkRecords(column: hookName)[chunk]
    }

    private func patch(_ file: String, at offset: Int, _ transform: (UInt8) -> UInt8) throws {
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: file))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data([transform(byte)]))
    }

    func testFlippedByteInAChunkIsACorruptChunkNamingColumnChunkAndOffset() throws {
        let (path, _) = try makeStore("flip")
        let target = try record(path, chunk: 3)
        let segment = SegmentFile.path(store: path, segment: target.segment)
        try patch(segment, at: target.byteOffset + target.compressedByteCount / 2) { $0 ^ 0x10 }

        let reader = try StoreReader(path: path)
        var out: [Float] = []
        XCTAssertThrowsError(try reader.readChunk(column: hookName, chunk: 3, into: &out)) { error in
            guard case let StoreError.corruptChunk(store, column, chunk, seg, offset, detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(store, path); XCTAssertEqual(column, hookName); XCTAssertEqual(chunk, 3)
            XCTAssertEqual(seg, segment); XCTAssertEqual(offset, target.byteOffset)
            XCTAssertTrue(detail.contains("checksum"), detail)
        }
        try reader.readChunk(column: hookName, chunk: 2, into: &out)  // the rest still reads
        let report = StoreVerifier.verify(path: path)
        XCTAssertFalse(report.isSound)
        XCTAssertEqual(report.problems.count, 1, "\(report.problems)")
        XCTAssertTrue(report.problems[0].contains("chunk 3"), report.problems[0])
    }

    func testDamagedFrameWithMatchingChecksumIsStillCaughtByZstd() throws {
        // Rewrite the chunk's CRC in the index to match damaged bytes: the frame's own
        // content checksum (or its structure) must still refuse it.
        let (path, _) = try makeStore("frame")
        var target = try record(path, chunk: 1)
        let segment = SegmentFile.path(store: path, segment: target.segment)
        try patch(segment, at: target.byteOffset + target.compressedByteCount - 6) { $0 ^ 0x01 }
        let mapping = try SegmentMapping(path: segment)
        target.checksum = mapping.withBytes(target.byteOffset..<target.byteOffset + target.compressedByteCount) { CRC32C.checksum($0) }
        let writer = try StoreWriter.open(at: path)
        let column = try XCTUnwrap(writer.manifest.columnIndex(hookName))
        try writer.env.withTransaction(write: true) { try $0.put(.chunks, IndexKey.chunk(column: column, chunk: 1), target.encoded()) }
        var out: [Float] = []
        XCTAssertThrowsError(try StoreReader(path: path).readChunk(column: hookName, chunk: 1, into: &out)) { error in
            guard case let StoreError.corruptChunk(_, _, chunk, _, _, detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(chunk, 1)
            XCTAssertTrue(detail.contains("zstd"), detail)
        }
    }

    func testTruncatedSegmentIsReportedWithSizes() throws {
        let (path, _) = try makeStore("trunc")
        let last = try StoreReader(path: path).chunkRecords(column: hookName).last!
        let segment = SegmentFile.path(store: path, segment: last.segment)
        XCTAssertEqual(truncate(segment, off_t(last.byteOffset + 10)), 0)
        let reader = try StoreReader(path: path)
        var out: [Float] = []
        XCTAssertThrowsError(try reader.readChunk(column: hookName, chunk: reader.chunkCount - 1, into: &out)) { error in
            guard case let StoreError.truncatedSegment(_, column, _, seg, offset, _, fileBytes) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(column, hookName); XCTAssertEqual(seg, segment)
            XCTAssertEqual(offset, last.byteOffset); XCTAssertEqual(fileBytes, last.byteOffset + 10)
        }
        let report = StoreVerifier.verify(path: path)
        XCTAssertTrue(report.problems.contains { $0.contains("truncated") }, "\(report.problems)")
    }

    func testMissingSegmentIsNamed() throws {
        let (path, _) = try makeStore("missing")
        let first = try record(path, chunk: 0)
        let segment = SegmentFile.path(store: path, segment: first.segment)
        XCTAssertEqual(unlink(segment), 0)
        let reader = try StoreReader(path: path)
        var out: [Float] = []
        XCTAssertThrowsError(try reader.readChunk(column: hookName, chunk: 0, into: &out)) { error in
            XCTAssertEqual(error as? StoreError, .missingSegment(store: path, column: hookName, chunk: 0, segment: segment))
        }
        let report = StoreVerifier.verify(path: path)
        XCTAssertTrue(report.problems.contains { $0.contains("\(segment) is missing") }, "\(report.problems)")
        // A writer refuses to append to a store whose tail is gone only if the tail is the missing one.
        XCTAssertNoThrow(try StoreReader(path: path).info())
    }

    func testDamagedIndexRecordsAreCorruptIndexErrors() throws {
        let (path, _) = try makeStore("index")
        do {
            let writer = try StoreWriter.open(at: path)
            try writer.env.withTransaction(write: true) { txn in
                try txn.put(.docs, IndexKey.u64(4), [1, 2, 3])                      // short record
                try txn.put(.chunks, IndexKey.chunk(column: 2, chunk: 5), [9, 9])  // short chunk record
                try txn.delete(.texts, IndexKey.u64(7))                            // text gone
            }
        }
        let reader = try StoreReader(path: path)
        XCTAssertThrowsError(try reader.document(4)) { error in
            guard case StoreError.corruptIndex(_, "docs", _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try reader.text(ofDocument: 7)) { error in
            guard case StoreError.corruptIndex(_, "texts", _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try reader.chunkRecords(column: TokenColumn.position)) { error in
            guard case StoreError.corruptIndex(_, "chunks", _) = error else { return XCTFail("\(error)") }
        }
        let report = StoreVerifier.verify(path: path)
        XCTAssertGreaterThanOrEqual(report.problems.count, 3, "\(report.problems)")
    }

    func testTruncatedIndexFileIsAnErrorNotACrash() throws {
        let (path, _) = try makeStore("mdb")
        let data = StoreDirectory.indexPath(path) + "/data.mdb"
        XCTAssertEqual(truncate(data, 100), 0)
        XCTAssertThrowsError(try StoreReader(path: path)) { error in
            XCTAssertTrue(error is StoreError, "\(error)")
        }
        XCTAssertFalse(StoreVerifier.verify(path: path).isSound)
    }

    /// A copy cut at a page boundary: LMDB would map the missing pages and the first read of one
    /// would be a SIGBUS. The length check against the newest meta page refuses it first.
    func testIndexFileCutAtAPageBoundaryIsRefusedBeforeLMDBMapsIt() throws {
        let (path, _) = try makeStore("mdbpages")
        let data = StoreDirectory.indexPath(path) + "/data.mdb"
        let pageCount = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: data)[.size] as? Int) / 4096
        XCTAssertGreaterThan(pageCount, 4)
        XCTAssertEqual(truncate(data, off_t(pageCount - 2) * 4096), 0)
        XCTAssertThrowsError(try StoreReader(path: path)) { error in
            guard case let StoreError.corruptIndex(_, _, detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains(data) && detail.contains("truncated copy"), detail)
        }
        XCTAssertThrowsError(try StoreWriter.open(at: path))
        XCTAssertFalse(StoreVerifier.verify(path: path).isSound)
    }

    func testSegmentHeaderDamageIsReportedByVerify() throws {
        let (path, _) = try makeStore("header")
        try patch(SegmentFile.path(store: path, segment: 0), at: 2) { _ in UInt8(ascii: "X") }
        let report = StoreVerifier.verify(path: path)
        XCTAssertTrue(report.problems.contains { $0.contains("header") }, "\(report.problems)")
    }
}
