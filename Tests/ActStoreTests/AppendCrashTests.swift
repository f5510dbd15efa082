import TensorIO
import Foundation
import XCTest
@testable import ActStore

/// A process killed midway through `import --append` leaves the store exactly as before the
/// append: the crash-writer child (Tests/CrashWriter/AppendMode.swift) SIGKILLs itself at
/// chosen points — after the reopened last chunk and a few more are in the segment, after a
/// new segment file was started, once every row is written, and with every byte synced just
/// before the index transaction. After each kill the store's snapshot equals the one before,
/// verify passes, and a rerun completes the append; a run after that is refused as a repeat.
final class AppendCrashTests: XCTestCase {
    let width = 16
    let column = "acts"

    private func runChild(_ arguments: [String]) throws -> Process {
        try runCrashWriter(["append"] + arguments)
    }

    func testKilledAppendLeavesTheStoreAsBeforeAndARerunCompletesIt() throws {
        let dir = temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let values = activationLike(rows: 6700, width: width, seed: 5)
        let first = slice(values, rows: 0..<700, width: width)
        let partPath = dir + "/part-1.npy", wholePath = dir + "/whole.npy"
        try writeNPY(partPath, slice(values, rows: 700..<6700, width: width), width: width)
        try writeNPY(wholePath, values, width: width)

        // Small segments, so the append rolls to new segment files that the kill leaves behind.
        let store = dir + "/store"
        do {  // the writer (and its lock) is gone before the children open the store
            let writer = try StoreWriter.create(at: store, manifest: StoreManifest(
                columns: [ColumnSpec(name: column, width: width, codec: .f16)], chunkRows: 256, segmentTargetBytes: 1 << 16, hasDocuments: false))
            try writer.appendRows([column: first], rowCount: 700)
            try writer.commit()
        }
        let before = try StoreSnapshot(store)
        let segmentsBefore = StoreDirectory.segmentNumbers(store)

        for killAt in ["rows:256", "rows:3000", "rows:6000", "commit"] {
            let child = try runChild([store, killAt, "\(column)=\(partPath)"])
            XCTAssertEqual(child.terminationReason, .uncaughtSignal, "\(killAt): the child was to die by SIGKILL")
            XCTAssertEqual(child.terminationStatus, SIGKILL, killAt)
            if killAt != "rows:256" {
                XCTAssertGreaterThan(StoreDirectory.segmentNumbers(store).count, segmentsBefore.count,
                                     "\(killAt): the append had started new segment files when it died")
            }
            XCTAssertEqual(try StoreSnapshot(store), before, "\(killAt): the store is exactly as before the append")
            let report = StoreVerifier.verify(path: store)
            XCTAssertTrue(report.isSound, "\(killAt): \(report.problems)")
            XCTAssertEqual(try StoreReader(path: store).rowCount, 700)
        }

        let rerun = try runChild([store, "never", "\(column)=\(partPath)"])
        XCTAssertEqual(rerun.terminationReason, .exit)
        XCTAssertEqual(rerun.terminationStatus, 0, "the rerun completes the append")
        let report = StoreVerifier.verify(path: store)
        XCTAssertTrue(report.isSound, "\(report.problems)")
        let reader = try StoreReader(path: store)
        XCTAssertEqual(reader.rowCount, 6700)
        var read: [Float] = []
        try reader.readRows(column: column, rows: 0..<6700, into: &read)
        XCTAssertTrue(bitsEqual(read, values.map { stored($0, .f16) }), "every row once, in order")
        let single = dir + "/single"
        try ColumnTransfer.importColumn(store: single, column: column, file: wholePath, codec: .f16, chunkRows: 256)
        XCTAssertEqual(try exportedBytes(store, column: column, scratch: dir), try exportedBytes(single, column: column, scratch: dir))
        XCTAssertEqual(try chunkContents(store, column: column), try chunkContents(single, column: column))

        let complete = try StoreSnapshot(store)
        let again = try runChild([store, "never", "\(column)=\(partPath)"])
        XCTAssertEqual(again.terminationStatus, 4, "a second append of the part is refused")
        XCTAssertEqual(try StoreSnapshot(store), complete)
    }
}
