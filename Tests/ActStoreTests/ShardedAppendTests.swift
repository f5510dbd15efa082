import TensorIO
import Foundation
import XCTest
@testable import ActStore

/// `import --append` onto a sharded store: the rows go to the last shard and shards.json follows;
/// the union then reads as one import of everything; a kill between the shard's commit and the
/// manifest's is completed by the next append; a shard changed some other way is refused.
final class ShardedAppendTests: XCTestCase {
    let width = 16
    let column = "acts"

    /// Two shards (rows 0..<700 and 700..<1000 of `values`) under dir/union, and part files for
    /// the rest: part-0 = 1000..<1600, part-1 = 1600..<2000.
    private func shardedStore(_ dir: String, values: [Float]) throws -> (union: String, parts: [String]) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let union = dir + "/union"
        for (k, rows) in [0..<700, 700..<1000].enumerated() {
            let file = dir + "/shard-\(k).npy"
            try writeNPY(file, slice(values, rows: rows, width: width), width: width)
            try ColumnTransfer.importColumn(store: union + "/shard-\(k)", column: column, file: file, codec: .f16, chunkRows: 256)
        }
        try ShardManifest.write(directory: union, shardPaths: ["shard-0", "shard-1"])
        var parts: [String] = []
        for (k, rows) in [1000..<1600, 1600..<2000].enumerated() {
            parts.append(dir + "/part-\(k).npy")
            try writeNPY(parts[k], slice(values, rows: rows, width: width), width: width)
        }
        return (union, parts)
    }

    private func readAll(_ store: String) throws -> [Float] {
        let reader = try openStore(at: store)
        var read: [Float] = []
        try reader.readRows(column: column, rows: 0..<reader.rowCount, into: &read)
        return read
    }

    func testPartsAppendedToTheLastShardReadAsOneImport() throws {
        let dir = temporaryDirectory(self)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let values = activationLike(rows: 2000, width: width, seed: 11)
        let (union, parts) = try shardedStore(dir, values: values)
        let first = try RowAppend.append(store: union, files: [.init(column: column, file: parts[0])])
        XCTAssertEqual(first.firstRow, 1000, "the union's row, not the shard's (300)")
        XCTAssertEqual(first.storeRowCount, 1600)
        let second = try RowAppend.append(store: union, files: [.init(column: column, file: parts[1])])
        XCTAssertEqual(second.firstRow, 1600)
        let manifest = try ShardManifest.load(directory: union)
        XCTAssertEqual(manifest.shards.map(\.rowCount), [700, 1300])
        XCTAssertEqual(manifest.shards.map(\.path), ["shard-0", "shard-1"], "paths are kept as written")
        XCTAssertTrue(bitsEqual(try readAll(union), values.map { stored($0, .f16) }))
        XCTAssertTrue(StoreVerifier.verify(path: union + "/shard-1").isSound)
        // A repeat is refused, naming the union's rows.
        XCTAssertThrowsError(try RowAppend.append(store: union, files: [.init(column: column, file: parts[0])])) { error in
            guard case let AppendError.duplicatePart(_, _, _, earlier) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(earlier.firstRow, 1000)
        }
    }

    /// A real SIGKILL between the last shard's commit and the manifest's rewrite: the union
    /// refuses to open (the shard grew), the rerun completes the manifest and reports the part as
    /// already appended, and the union holds every row once.
    func testAKillBetweenTheTwoCommitsIsCompletedByTheRerun() throws {
        let dir = temporaryDirectory(self)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let values = activationLike(rows: 2000, width: width, seed: 12)
        let (union, parts) = try shardedStore(dir, values: values)
        let child = try runCrashWriter(["append", union, "manifest", "\(column)=\(parts[0])"])
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        XCTAssertEqual(child.terminationStatus, SIGKILL)
        XCTAssertThrowsError(try openStore(at: union)) { error in
            XCTAssertTrue("\(error)".contains("it changed after the manifest was written"), "\(error)")
        }
        XCTAssertEqual(try openStore(at: union + "/shard-1").rowCount, 900, "the shard's own commit landed")

        let rerun = try runCrashWriter(["append", union, "never", "\(column)=\(parts[0])"])
        XCTAssertEqual(rerun.terminationStatus, 4, "the rerun completes the manifest, then finds the part already in")
        XCTAssertEqual(try openStore(at: union).rowCount, 1600)
        let next = try runCrashWriter(["append", union, "never", "\(column)=\(parts[1])"])
        XCTAssertEqual(next.terminationStatus, 0)
        XCTAssertTrue(bitsEqual(try readAll(union), values.map { stored($0, .f16) }), "every row once, in order")
    }

    /// Rows added to the last shard that are not one appended part are never adopted.
    func testAShardChangedOutsideAppendIsRefused() throws {
        let dir = temporaryDirectory(self)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let values = activationLike(rows: 2000, width: width, seed: 13)
        let (union, parts) = try shardedStore(dir, values: values)
        do {
            let writer = try StoreWriter.open(at: union + "/shard-1")
            try writer.appendRows([column: slice(values, rows: 0..<10, width: width)], rowCount: 10)
            try writer.commit()
        }
        let manifestBefore = try Data(contentsOf: URL(fileURLWithPath: union + "/" + ShardManifest.fileName))
        XCTAssertThrowsError(try RowAppend.append(store: union, files: [.init(column: column, file: parts[0])])) { error in
            XCTAssertTrue("\(error)".contains("the difference is not one appended part"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: union + "/" + ShardManifest.fileName)), manifestBefore)
        XCTAssertEqual(try openStore(at: union + "/shard-1").rowCount, 310, "nothing appended")
    }
}
