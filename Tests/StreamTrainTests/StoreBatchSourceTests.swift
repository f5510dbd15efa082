import ActStore
import Foundation
import XCTest
@testable import StreamTrain

/// A store of `docCount` documents stored contiguously, each `tokens` long, width 4, whose
/// values encode (row, doc) so a test can check every value it gets.
func makeLoaderStore(_ test: XCTestCase, docCount: Int = 40, tokens: Int = 50, chunkRows: Int = 64) throws -> String {
    let path = NSTemporaryDirectory() + "loader-\(UUID().uuidString.prefix(8))"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    let columns = TokenColumn.all + [ColumnSpec(name: "act", width: 4, codec: .f32)]
    let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: columns, chunkRows: chunkRows, hasDocuments: true))
    var row = 0
    for doc in 0..<docCount {
        let text = String(repeating: "x", count: tokens)
        var values: [Float] = []
        for t in 0..<tokens { values += [Float(row + t), Float(doc), Float(t), 1] }
        try writer.append(DocumentRows(text: text, source: "s", sourceIndex: doc, tokenIDs: .init(repeating: 1, count: tokens),
                                       positions: (0..<tokens).map { UInt32($0) }, byteStarts: (0..<tokens).map { UInt32($0) },
                                       byteEnds: (0..<tokens).map { UInt32($0 + 1) }, activations: ["act": values]))
        row += tokens
        if doc % 7 == 6 { try writer.commit() }
    }
    try writer.commit()
    return path
}

final class StoreBatchSourceTests: XCTestCase {
    private func epoch(_ source: StoreBatchSource, batch: Int) throws -> (rows: [Int], batches: [[Float]]) {
        var out = [Float](repeating: 0, count: batch * source.rowWidth)
        var rows: [Int] = [], batches: [[Float]] = []
        while true {
            let n = try source.nextBatch(into: &out, maxRowCount: batch)
            if n == 0 { break }
            for i in 0..<n {
                // Each row's first value is its own row number: the values are the row's.
                XCTAssertEqual(Int(out[i * 4]), source.lastBatchRows[i])
            }
            rows += source.lastBatchRows
            batches.append(Array(out[0..<n * source.rowWidth]))
        }
        return (rows, batches)
    }

    func testEveryRowOnceAnEpochInAShuffledDeterministicOrder() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let config = StreamLoaderConfig(column: "act", shuffleBufferRows: 300, workerCount: 2, prefetchChunks: 3, seed: 7)
        let a = try StoreBatchSource(reader: reader, config: config)
        let first = try epoch(a, batch: 64)
        XCTAssertEqual(first.rows.sorted(), Array(0..<2000))
        XCTAssertNotEqual(first.rows, Array(0..<2000), "rows are shuffled")
        let second = try epoch(a, batch: 64)
        XCTAssertEqual(second.rows.sorted(), Array(0..<2000))
        XCTAssertNotEqual(second.rows, first.rows, "each epoch has its own order")

        let b = try StoreBatchSource(reader: reader, config: config)
        XCTAssertEqual(try epoch(b, batch: 64).rows, first.rows, "same seed, same batches (whatever the thread timing)")
        var other = config
        other.seed = 8
        XCTAssertNotEqual(try epoch(StoreBatchSource(reader: reader, config: other), batch: 64).rows, first.rows)
    }

    func testRowRangeAndPositionFilter() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let config = StreamLoaderConfig(column: "act", firstRow: 130, endRow: 1210, shuffleBufferRows: 100, seed: 1, minimumPosition: 1)
        let source = try StoreBatchSource(reader: reader, config: config)
        let rows = try epoch(source, batch: 50).rows
        let expected = (130..<1210).filter { $0 % 50 != 0 }
        XCTAssertEqual(rows.sorted(), expected, "rows in range, position 0 (BOS) skipped")
        XCTAssertEqual(source.rowsPerEpoch, expected.count)
    }

    func testUnshuffledReadsInStoreOrder() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let source = try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: "act", workerCount: 2, shuffle: false))
        XCTAssertEqual(try epoch(source, batch: 77).rows, Array(0..<2000))
    }

    func testRestoreContinuesWithExactlyTheSameBatches() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let config = StreamLoaderConfig(column: "act", shuffleBufferRows: 256, seed: 3)
        let whole = try StoreBatchSource(reader: reader, config: config)
        var out = [Float](repeating: 0, count: 32 * 4)
        var reference: [[Float]] = []
        var saved = Data()
        for step in 0..<100 {  // crosses an epoch boundary (2000 rows / 32)
            if step == 70 { saved = try whole.position() }
            if try whole.nextBatch(into: &out, maxRowCount: 32) == 0 { _ = try whole.nextBatch(into: &out, maxRowCount: 32) }
            if step >= 70 { reference.append(out) }
        }
        let resumed = try StoreBatchSource(reader: reader, config: config)
        try resumed.restore(position: saved)
        for step in 70..<100 {
            if try resumed.nextBatch(into: &out, maxRowCount: 32) == 0 { _ = try resumed.nextBatch(into: &out, maxRowCount: 32) }
            XCTAssertEqual(out, reference[step - 70], "batch \(step)")
        }
        var changed = config
        changed.shuffleBufferRows = 128
        XCTAssertThrowsError(try StoreBatchSource(reader: reader, config: changed).restore(position: saved))
    }

    /// Long documents stored contiguously: a batch drawn from the shuffle buffer spans far
    /// more documents than a contiguous read, approaching uniform sampling over the store.
    func testShuffleQualityApproachesUniformSampling() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self, docCount: 40, tokens: 250, chunkRows: 100))
        let quality = try ShuffleQuality.measure(reader: reader, config: StreamLoaderConfig(column: "act", shuffleBufferRows: 4000, seed: 5),
                                                 batchRows: 64, batches: 100)
        let contiguous = try ShuffleQuality.measure(reader: reader, config: StreamLoaderConfig(column: "act", shuffle: false),
                                                    batchRows: 64, batches: 100)
        XCTAssertLessThan(contiguous.meanDistinctDocuments, 2.5)
        XCTAssertGreaterThan(quality.meanDistinctDocuments, 0.9 * quality.uniformMeanDistinctDocuments)
        XCTAssertLessThan(quality.meanLargestDocumentShare, 2 * quality.uniformMeanLargestDocumentShare)
        XCTAssertGreaterThan(quality.uniformMeanDistinctDocuments, 30, "64 uniform draws over 40 equal docs hit ~32 of them")
    }
}
