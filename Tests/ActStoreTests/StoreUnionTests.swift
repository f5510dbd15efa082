import ActStore
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
        let whole = try StoreReader(path: wholePath), union = try StoreReader(path: shardedPath)
        XCTAssertFalse(whole.isUnion)
        XCTAssertTrue(union.isUnion)
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
        XCTAssertThrowsError(try StoreReader(path: shardedPath)) { error in
            XCTAssertTrue("\(error)".contains("shard-0001") && "\(error)".contains("changed after the manifest"), "\(error)")
        }
        XCTAssertFalse(StoreVerifier.verify(path: shardedPath).isSound)
        // Rewriting the manifest picks the new size up.
        try ShardManifest.write(directory: shardedPath, shardPaths: ["shard-0000", "shard-0001", "shard-0002"])
        XCTAssertEqual(try StoreReader(path: shardedPath).documentCount, 41)

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
        let before = try StoreReader(path: shardedPath).rowCount
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
        XCTAssertEqual(try StoreReader(path: shardedPath).rowCount, before)
        XCTAssertTrue(StoreVerifier.verify(path: shardedPath).isSound)
    }
}
