@testable import ActStore
import Foundation
import XCTest

/// A sharded store (shards.json over shard stores holding consecutive documents) reads exactly
/// as the unsharded store holding the same documents: rows byte for byte, metadata columns
/// (doc ids renumbered), documents, texts, sources and lookups.
final class StoreUnionTests: XCTestCase {
    private let columns = TokenColumn.all + [ColumnSpec(name: "act", width: 6, codec: .f16), ColumnSpec(name: "raw", width: 3, codec: .f32)]

    private func document(_ d: Int) -> DocumentRows {
        let tokens = 7 + (d * 13) % 40
        let text = (0..<tokens).map { "w\(d)_\($0)" }.joined(separator: " ")
        var starts: [UInt32] = [], ends: [UInt32] = []
        var offset = 0
        for t in 0..<tokens {
            let word = "w\(d)_\(t)"
            starts.append(UInt32(offset)); ends.append(UInt32(offset + word.utf8.count))
            offset += word.utf8.count + 1
        }
        var act: [Float] = [], raw: [Float] = []
        for t in 0..<tokens {
            for c in 0..<6 { act.append(Float(sin(Double(d * 1000 + t * 7 + c)) * 3)) }
            for c in 0..<3 { raw.append(Float(d) + Float(t) / 64 + Float(c) * 1e-3) }
        }
        return DocumentRows(text: text, source: d < 23 ? "corpus-a.jsonl" : "corpus-b.jsonl", sourceIndex: d < 23 ? d : d - 23,
                            tokenIDs: (0..<tokens).map { UInt32(d * 50 + $0) }, positions: (0..<tokens).map { UInt32($0 % 16) },
                            byteStarts: starts, byteEnds: ends, activations: ["act": act, "raw": raw])
    }

    private func write(_ path: String, documents: Range<Int>) throws {
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: columns, chunkRows: 50, hasDocuments: true,
                                                                              model: "test", contextSize: 16, prependBOS: false))
        for d in documents {
            _ = try writer.append(document(d))
            if d % 9 == 4 { try writer.commit() }
        }
        try writer.commit()
    }

    private func makeStores() throws -> (whole: String, sharded: String) {
        let root = NSTemporaryDirectory() + "union-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        try write(root + "/whole", documents: 0..<40)
        let sharded = root + "/sharded"
        try write(sharded + "/shard-0000", documents: 0..<11)
        try write(sharded + "/shard-0001", documents: 11..<30)     // spans both sources
        try write(sharded + "/shard-0002", documents: 30..<40)
        try ShardManifest.write(directory: sharded, shardPaths: ["shard-0000", "shard-0001", "shard-0002"])
        return (root + "/whole", sharded)
    }

    func testUnionReadsEqualTheUnshardedStore() throws {
        let (wholePath, shardedPath) = try makeStores()
        let whole = try openStore(at: wholePath), union = try openStore(at: shardedPath)
        XCTAssertTrue(whole is StoreReader)
        XCTAssertTrue(union is UnionStoreReader)
        XCTAssertEqual(union.shardPaths.count, 3)
        XCTAssertEqual(union.rowCount, whole.rowCount)
        XCTAssertEqual(union.documentCount, 40)
        XCTAssertEqual(union.columns, whole.columns)

        // Whole columns, byte for byte (bit patterns), and ranges that cross shard seams.
        let rows = whole.rowCount
        for range in [0..<rows, 3..<rows - 5, 200..<201, union.chunkCount > 0 ? 150..<420 : 0..<1] {
            for name in ["act", "raw"] {
                var a: [Float] = [], b: [Float] = []
                try whole.readRows(column: name, rows: range, into: &a)
                try union.readRows(column: name, rows: range, into: &b)
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(name) \(range)")
            }
            for name in TokenColumn.all.map(\.name) {
                XCTAssertEqual(try whole.readIntegers(column: name, rows: range), try union.readIntegers(column: name, rows: range), "\(name) \(range)")
            }
        }
        // Chunks: every row once, in order, decoding to the same rows.
        var next = 0
        var scratch: [Float] = []
        for chunk in 0..<union.chunkCount {
            let range = try union.chunkRows(chunk)
            XCTAssertEqual(range.lowerBound, next)
            next = range.upperBound
            try union.readChunk(column: "act", chunk: chunk, into: &scratch)
            var expected: [Float] = []
            try whole.readRows(column: "act", rows: range, into: &expected)
            XCTAssertEqual(scratch.map(\.bitPattern), expected.map(\.bitPattern), "chunk \(chunk)")
            XCTAssertEqual(try union.chunk(containing: range.lowerBound), chunk)
        }
        XCTAssertEqual(next, rows)
        // Documents, texts, sources, row → document → text.
        for doc in 0..<40 {
            XCTAssertEqual(try union.document(doc), try whole.document(doc), "document \(doc)")
            XCTAssertEqual(try union.text(ofDocument: doc), try whole.text(ofDocument: doc))
            let record = try union.document(doc)
            XCTAssertEqual(try union.sourceName(record.sourceID), try whole.sourceName(record.sourceID))
        }
        for row in stride(from: 0, to: rows, by: 17) + [rows - 1] {
            XCTAssertEqual(try union.documentID(containing: row), try whole.documentID(containing: row), "row \(row)")
            XCTAssertEqual(try union.locate(row: row), try whole.locate(row: row), "row \(row)")
            XCTAssertEqual(try union.context(row: row, window: 4), try whole.context(row: row, window: 4), "row \(row)")
        }
        XCTAssertThrowsError(try union.document(40))
        // Chunk records are the shards' in order, rows renumbered globally.
        let records = try union.chunkRecords(column: "act")
        XCTAssertEqual(records.count, union.chunkCount)
        XCTAssertEqual(records.map(\.firstRow), try (0..<union.chunkCount).map { try union.chunkRows($0).lowerBound })
        // Errors name the sharded store, not a shard.
        XCTAssertThrowsError(try union.readChunk(column: "nope", chunk: 0, into: &scratch)) { error in
            XCTAssertEqual(error as? StoreError, .missingColumn(store: shardedPath, column: "nope", available: columns.map(\.name)))
        }
        XCTAssertThrowsError(try union.readChunk(column: "act", chunk: union.chunkCount, into: &scratch)) { error in
            XCTAssertTrue("\(error)".contains(shardedPath) && "\(error)".contains("chunk \(union.chunkCount) is out of range"), "\(error)")
        }
        XCTAssertThrowsError(try union.readIntegers(column: TokenColumn.docID, rows: rows - 1..<rows + 1))

        // verify and info see the union.
        let report = StoreVerifier.verify(path: shardedPath)
        XCTAssertTrue(report.isSound, "\(report.problems)")
        XCTAssertEqual(report.rowsChecked, StoreVerifier.verify(path: wholePath).rowsChecked)
        let info = try union.info()
        XCTAssertEqual(info.rowCount, rows)
        XCTAssertEqual(info.shards?.count, 3)
        XCTAssertEqual(info.segmentCount, 3)
    }

    func testStaleOrMismatchedShardsAreRefused() throws {
        let (_, shardedPath) = try makeStores()
        // A shard that grew after the manifest was written.
        let writer = try StoreWriter.open(at: shardedPath + "/shard-0001")
        _ = try writer.append(document(99))
        try writer.commit()
        XCTAssertThrowsError(try openStore(at: shardedPath)) { error in
            XCTAssertTrue("\(error)".contains("shard-0001") && "\(error)".contains("changed after the manifest"), "\(error)")
        }
        XCTAssertFalse(StoreVerifier.verify(path: shardedPath).isSound)
        // Rewriting the manifest picks the new size up.
        try ShardManifest.write(directory: shardedPath, shardPaths: ["shard-0000", "shard-0001", "shard-0002"])
        XCTAssertEqual(try openStore(at: shardedPath).documentCount, 41)

        // A shard with other columns cannot join.
        let other = shardedPath + "/other"
        let w = try StoreWriter.create(at: other, manifest: StoreManifest(columns: TokenColumn.all, chunkRows: 50, hasDocuments: true,
                                                                          model: "test", contextSize: 16, prependBOS: false))
        try w.commit()
        XCTAssertThrowsError(try ShardManifest.write(directory: shardedPath, shardPaths: ["shard-0000", "other"])) { error in
            XCTAssertTrue("\(error)".contains("columns differ"), "\(error)")
        }
    }

    func testNoWriterWritesThroughAShardedStore() throws {
        let (_, shardedPath) = try makeStores()
        let before = try openStore(at: shardedPath).rowCount
        let manifest = StoreManifest(columns: TokenColumn.all, chunkRows: 50, hasDocuments: true,
                                     model: "test", contextSize: 16, prependBOS: false)
        for attempt in [{ _ = try StoreWriter.create(at: shardedPath, manifest: manifest) },
                        { _ = try StoreWriter.openOrCreate(at: shardedPath, manifest: manifest) }] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertTrue("\(error)".contains("is a sharded store"), "\(error)")
            }
        }
        XCTAssertThrowsError(try StoreWriter.open(at: shardedPath)) { error in
            XCTAssertTrue("\(error)".contains("is a sharded store"), "\(error)")
        }
        // Nothing was created beside the manifest, and the union still reads the same rows.
        for name in ["index", "segments", "writer.lock"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: shardedPath + "/" + name), name)
        }
        XCTAssertEqual(try openStore(at: shardedPath).rowCount, before)
        XCTAssertTrue(StoreVerifier.verify(path: shardedPath).isSound)
    }

    /// Shards are files a user can lose or damage: a missing shard, or one whose index is gone,
    /// refuses the whole union naming the shard; a damaged chunk inside a shard is a corruptChunk
    /// naming the shard's own segment, from reads and from verify.
    func testMissingOrDamagedShardIsRefusedNamingIt() throws {
        let (_, shardedPath) = try makeStores()
        let union = try openStore(at: shardedPath)
        let shard1 = union.shardPaths[1]
        XCTAssertTrue(shard1.hasSuffix("/shard-0001"), shard1)
        let record = try StoreReader(path: shard1).chunkRecords(column: "act")[1]
        let segment = SegmentFile.path(store: shard1, segment: record.segment)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: segment))
        try handle.seek(toOffset: UInt64(record.byteOffset + record.compressedByteCount / 2))
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(record.byteOffset + record.compressedByteCount / 2))
        handle.write(Data([byte ^ 0x10]))
        try handle.close()
        var out: [Float] = []
        let globalChunk = try StoreReader(path: union.shardPaths[0]).chunkCount + 1
        XCTAssertThrowsError(try union.readChunk(column: "act", chunk: globalChunk, into: &out)) { error in
            guard case let StoreError.corruptChunk(store, column, chunk, seg, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(store, shard1); XCTAssertEqual(column, "act"); XCTAssertEqual(chunk, 1); XCTAssertEqual(seg, segment)
        }
        try union.readChunk(column: "act", chunk: globalChunk - 1, into: &out)  // the rest still reads
        let report = StoreVerifier.verify(path: shardedPath)
        XCTAssertEqual(report.problems.count, 1, "\(report.problems)")
        XCTAssertTrue(report.problems[0].contains("shard 1 (\(shard1))") && report.problems[0].contains("chunk 1"), report.problems[0])

        // Shard 2 without its index, then shard 0 gone: each refuses the union, naming the shard.
        try FileManager.default.removeItem(atPath: StoreDirectory.indexPath(shardedPath + "/shard-0002") + "/data.mdb")
        for (lost, shard, why) in [("shard-0002", 2, "has no index/data.mdb"), ("shard-0000", 0, "no such directory")] {
            if shard == 0 { try FileManager.default.removeItem(atPath: shardedPath + "/shard-0000") }
            XCTAssertThrowsError(try openStore(at: shardedPath)) { error in
                guard case let StoreError.notAStore(path, reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, shardedPath)
                XCTAssertTrue(reason.contains("shard \(shard) (\(lost)") && reason.contains(why), reason)
            }
            let problems = StoreVerifier.verify(path: shardedPath).problems
            XCTAssertTrue(problems.count == 1 && problems[0].contains(lost), "\(problems)")
        }
    }

    /// A sharded directory is not a store directory: `StoreReader` refuses it and says what opens it.
    func testStoreReaderRefusesAShardedDirectory() throws {
        let (_, shardedPath) = try makeStores()
        XCTAssertThrowsError(try StoreReader(path: shardedPath)) { error in
            guard case let StoreError.notAStore(path, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, shardedPath)
            XCTAssertTrue(reason.contains("openStore(at:)"), reason)
        }
        XCTAssertTrue(try openStore(at: shardedPath) is UnionStoreReader)
    }

    /// An empty shard between two others takes no rows, chunks or documents: every global number
    /// skips it, and reads equal the unsharded store's.
    func testAnEmptyShardInTheMiddleIsSkipped() throws {
        let offsets = ShardOffsets(rowCounts: [5, 0, 3], chunkCounts: [2, 0, 1], documentCounts: [1, 0, 1])
        XCTAssertTrue(offsets.locate(row: 4) == (0, 4) && offsets.locate(row: 5) == (2, 0) && offsets.locate(row: 7) == (2, 2))
        XCTAssertTrue(offsets.locate(chunk: 1) == (0, 1) && offsets.locate(chunk: 2) == (2, 0))
        XCTAssertTrue(offsets.locate(document: 0) == (0, 0) && offsets.locate(document: 1) == (2, 0))

        let root = NSTemporaryDirectory() + "union-empty-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        try write(root + "/whole", documents: 0..<20)
        try write(root + "/sharded/a", documents: 0..<9)
        try write(root + "/sharded/empty", documents: 9..<9)
        try write(root + "/sharded/b", documents: 9..<20)
        try ShardManifest.write(directory: root + "/sharded", shardPaths: ["a", "empty", "b"])
        let whole = try openStore(at: root + "/whole"), union = try openStore(at: root + "/sharded")
        XCTAssertEqual(union.rowCount, whole.rowCount)
        XCTAssertEqual(union.documentCount, 20)
        var next = 0
        var ids: [UInt64] = []
        for chunk in 0..<union.chunkCount {
            let rows = try union.chunkRows(chunk)
            XCTAssertEqual(rows.lowerBound, next)
            next = rows.upperBound
            try union.readChunk(column: TokenColumn.docID, chunk: chunk, into: &ids)
            XCTAssertEqual(ids, try whole.readIntegers(column: TokenColumn.docID, rows: rows), "chunk \(chunk)")
        }
        XCTAssertEqual(next, whole.rowCount)
        for doc in 0..<20 { XCTAssertEqual(try union.document(doc), try whole.document(doc), "document \(doc)") }
        for row in stride(from: 0, to: whole.rowCount, by: 11) {
            XCTAssertEqual(try union.context(row: row, window: 3), try whole.context(row: row, window: 3), "row \(row)")
        }
    }
}
