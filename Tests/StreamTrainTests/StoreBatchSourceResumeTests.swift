import ActStore
import Foundation
import XCTest
@testable import StreamTrain

/// Resume in O(buffer): a position saved late in an epoch restores from the buffer's row
/// numbers, not by replaying the epoch, and continues with bitwise the same batches.
final class StoreBatchSourceResumeTests: XCTestCase {
    /// Flips one byte inside a chunk's compressed bytes: any read of it fails its checksum.
    private func damage(store: String, column: String, chunk: Int) throws {
        let record = try StoreReader(path: store).chunkRecords(column: column)[chunk]
        let path = String(format: "%@/segments/%06d.seg", store, record.segment)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(record.byteOffset + record.compressedByteCount / 2))
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(record.byteOffset + record.compressedByteCount / 2))
        handle.write(Data([byte ^ 0xFF]))
    }

    func testRestoreAtNinetyPercentOfAnEpochReadsOnlyTheBufferAndGivesTheSameBatches() throws {
        for (name, partition) in [("whole", StreamPartition.whole), ("stream 1 of 2", StreamPartition(index: 1, count: 2))] {
            let path = try makeLoaderStore(self, docCount: 100, tokens: 50, chunkRows: 64)  // 5000 rows, 79 chunks
            let config = StreamLoaderConfig(column: "act", firstRow: 70, endRow: 4930, shuffleBufferRows: 256, workerCount: 2,
                                            seed: 5, minimumPosition: 1)
            let batch = 32
            var out = [Float](repeating: 0, count: batch * 4)
            // The uninterrupted epoch, its position saved after 90% of its batches.
            let whole = try StoreBatchSource(reader: try StoreReader(path: path), config: config, partition: partition)
            var batches: [(values: [Float], rows: [Int])] = []
            while true {
                let n = try whole.nextBatch(into: &out, maxRowCount: batch)
                if n == 0 { break }
                batches.append((Array(out[0..<n * 4]), whole.lastBatchRows))
            }
            let saveAfter = batches.count * 9 / 10
            let again = try StoreBatchSource(reader: try StoreReader(path: path), config: config, partition: partition)
            for _ in 0..<saveAfter { _ = try again.nextBatch(into: &out, maxRowCount: batch) }
            let saved = try again.position()

            // Chunks whose rows were all served before the save point are not needed to resume:
            // damage every one of them (a replay from the epoch's start would hit the first).
            let reader = try StoreReader(path: path)
            let later = Set(batches[saveAfter...].flatMap(\.rows))
            let earlier = Set(try batches[..<saveAfter].flatMap(\.rows).map { try reader.chunk(containing: $0) })
            let laterChunks = Set(try later.map { try reader.chunk(containing: $0) })
            let unneeded = earlier.subtracting(laterChunks)
            XCTAssertGreaterThan(unneeded.count, 10, name)
            for chunk in unneeded {
                try damage(store: path, column: "act", chunk: chunk)
                try damage(store: path, column: TokenColumn.position, chunk: chunk)
            }

            // Counting the epoch's rows afresh reads every chunk of `pos` (the position filter),
            // so it now fails; a resume takes the count its run saved (run.json) and never does.
            XCTAssertThrowsError(try StoreBatchSource(reader: try StoreReader(path: path), config: config, partition: partition)) {
                XCTAssertTrue("\($0)".contains("checksum"), "\($0)")
            }
            let resumed = try StoreBatchSource(reader: try StoreReader(path: path), config: config, partition: partition,
                                               rowsPerEpoch: whole.rowsPerEpoch)
            try resumed.restore(position: saved)
            for k in saveAfter..<batches.count {
                let n = try resumed.nextBatch(into: &out, maxRowCount: batch)
                XCTAssertEqual(resumed.lastBatchRows, batches[k].rows, "\(name): batch \(k)")
                XCTAssertTrue(zip(out[0..<n * 4], batches[k].values).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(name): batch \(k)")
            }
            XCTAssertEqual(try resumed.nextBatch(into: &out, maxRowCount: batch), 0, "\(name): the epoch ends where it did")

            // The damage is real: replaying the epoch (a position without the loader's state,
            // as older checkpoints have) fails on it.
            var old = try XCTUnwrap(JSONSerialization.jsonObject(with: saved) as? [String: Any])
            for key in ["rng", "chunksTaken", "incomingOffset", "bufferRows", "streamDone"] { old[key] = nil }
            let replay = try StoreBatchSource(reader: try StoreReader(path: path), config: config, partition: partition,
                                              rowsPerEpoch: whole.rowsPerEpoch)
            XCTAssertThrowsError(try replay.restore(position: try JSONSerialization.data(withJSONObject: old))) {
                XCTAssertTrue("\($0)".contains("checksum"), "\($0)")
            }
        }
    }

    /// A given rows-per-epoch count that is not the one the checkpoint's loader had (a stale
    /// run.json, a changed store) is refused by `restore`, naming both counts.
    func testRestoreRefusesARowsPerEpochCountThatDiffersFromTheCheckpoints() throws {
        let path = try makeLoaderStore(self)
        let config = StreamLoaderConfig(column: "act", shuffleBufferRows: 200, seed: 2, minimumPosition: 1)
        let a = try StoreBatchSource(reader: try StoreReader(path: path), config: config)
        var out = [Float](repeating: 0, count: 16 * 4)
        for _ in 0..<10 { _ = try a.nextBatch(into: &out, maxRowCount: 16) }
        let stale = try StoreBatchSource(reader: try StoreReader(path: path), config: config, rowsPerEpoch: a.rowsPerEpoch + 1)
        XCTAssertThrowsError(try stale.restore(position: try a.position())) {
            XCTAssertTrue("\($0)".contains("\(a.rowsPerEpoch) rows per epoch, this one has \(a.rowsPerEpoch + 1)"), "\($0)")
        }
    }

    /// A position from a checkpoint written before the loader saved its state (epoch and
    /// batch count only) still resumes exactly, by replay.
    func testPositionWithoutLoaderStateIsReplayed() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let config = StreamLoaderConfig(column: "act", shuffleBufferRows: 200, seed: 2)
        let a = try StoreBatchSource(reader: reader, config: config)
        var out = [Float](repeating: 0, count: 16 * 4)
        for _ in 0..<40 { _ = try a.nextBatch(into: &out, maxRowCount: 16) }
        var old = try XCTUnwrap(JSONSerialization.jsonObject(with: try a.position()) as? [String: Any])
        for key in ["rng", "chunksTaken", "incomingOffset", "bufferRows", "streamDone"] { old[key] = nil }
        let b = try StoreBatchSource(reader: reader, config: config)
        try b.restore(position: try JSONSerialization.data(withJSONObject: old))
        var other = out
        for _ in 0..<30 {
            _ = try a.nextBatch(into: &out, maxRowCount: 16)
            _ = try b.nextBatch(into: &other, maxRowCount: 16)
            XCTAssertEqual(out, other)
        }
    }
}
