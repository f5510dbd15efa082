import ActStore
import Foundation
import XCTest
@testable import StreamTrain

/// The O(buffer) restore at every batch boundary of two epochs: while the buffer fills, in the
/// middle, while it drains at an epoch's end, across the epoch change, with a position filter,
/// a stream partition and without shuffling. Each restored source must continue with bitwise
/// the batches of the uninterrupted one; restoring an earlier position into a source that has
/// read on (what the trainer's activation-scale estimate does) must too.
final class StoreBatchSourceRestoreEveryBatchTests: XCTestCase {
    func testRestoreAtEveryBatchContinuesExactly() throws {
        let path = try makeLoaderStore(self, docCount: 40, tokens: 50, chunkRows: 64)  // 2000 rows, 32 chunks
        let cases: [(String, StreamLoaderConfig, StreamPartition)] = [
            ("shuffled", StreamLoaderConfig(column: "act", shuffleBufferRows: 300, workerCount: 2, seed: 11), .whole),
            ("filtered", StreamLoaderConfig(column: "act", firstRow: 37, endRow: 1990, shuffleBufferRows: 300, workerCount: 1,
                                            seed: 4, minimumPosition: 1), .whole),
            ("stream 2 of 3", StreamLoaderConfig(column: "act", shuffleBufferRows: 300, workerCount: 2, seed: 8),
             StreamPartition(index: 2, count: 3)),
            ("unshuffled", StreamLoaderConfig(column: "act", firstRow: 10, shuffleBufferRows: 300, seed: 1, shuffle: false), .whole),
        ]
        let batch = 24
        for (name, config, partition) in cases {
            let reader = try StoreReader(path: path)
            let whole = try StoreBatchSource(reader: reader, config: config, partition: partition)
            var out = [Float](repeating: 0, count: batch * 4)
            // Two epochs (the 0 that ends the first is a call too), the position before each call.
            var calls: [(position: Data, count: Int, values: [Float], rows: [Int])] = []
            var epochsEnded = 0
            while epochsEnded < 2 {
                let position = try whole.position()
                let n = try whole.nextBatch(into: &out, maxRowCount: batch)
                calls.append((position, n, Array(out[0..<n * 4]), n == 0 ? [] : whole.lastBatchRows))
                if n == 0 { epochsEnded += 1 }
            }
            XCTAssertGreaterThan(calls.count, 20, name)
            let wanderer = try StoreBatchSource(reader: reader, config: config, partition: partition)
            for k in calls.indices {
                let fresh = try StoreBatchSource(reader: reader, config: config, partition: partition)
                try fresh.restore(position: calls[k].position)
                // The wanderer reads a few batches ahead first, then goes back to k.
                for _ in 0..<3 { _ = try wanderer.nextBatch(into: &out, maxRowCount: batch) }
                try wanderer.restore(position: calls[k].position)
                for source in [fresh, wanderer] {
                    for j in k..<min(k + 3, calls.count) {
                        let n = try source.nextBatch(into: &out, maxRowCount: batch)
                        XCTAssertEqual(n, calls[j].count, "\(name): restored at call \(k), call \(j)")
                        guard n == calls[j].count else { break }
                        if n > 0 { XCTAssertEqual(source.lastBatchRows, calls[j].rows, "\(name): restored at call \(k), call \(j)") }
                        XCTAssertTrue(zip(out[0..<n * 4], calls[j].values).allSatisfy { $0.bitPattern == $1.bitPattern },
                                      "\(name): restored at call \(k), call \(j)")
                    }
                }
            }
        }
    }

    /// A position whose buffer does not fit this run (a smaller --shuffle-buffer-rows gives the
    /// same config check, so the position itself is edited) is refused with a typed error.
    func testPositionThatDoesNotFitIsRefused() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let config = StreamLoaderConfig(column: "act", shuffleBufferRows: 100, seed: 2)
        let a = try StoreBatchSource(reader: reader, config: config)
        var out = [Float](repeating: 0, count: 16 * 4)
        for _ in 0..<10 { _ = try a.nextBatch(into: &out, maxRowCount: 16) }
        var saved = try XCTUnwrap(JSONSerialization.jsonObject(with: try a.position()) as? [String: Any])
        var rows = try XCTUnwrap(saved["bufferRows"] as? [Int])
        rows.append(contentsOf: rows)  // 200 rows for a 100-row buffer
        saved["bufferRows"] = rows
        let b = try StoreBatchSource(reader: reader, config: config)
        XCTAssertThrowsError(try b.restore(position: try JSONSerialization.data(withJSONObject: saved))) {
            XCTAssertTrue("\($0)".contains("does not fit"), "\($0)")
        }
        saved["bufferRows"] = [reader.rowCount + 5]
        XCTAssertThrowsError(try b.restore(position: try JSONSerialization.data(withJSONObject: saved))) {
            XCTAssertTrue("\($0)".contains("outside this run's rows"), "\($0)")
        }
    }
}
