import Foundation
import TensorIO
import XCTest
@testable import ActStore

final class ColumnTransferTests: XCTestCase {
    private func writeNPY(_ path: String, _ values: [Float], rows: Int, width: Int, dtype: TensorDType = .f32) throws {
        let writer = try NPYWriter(path: path, rowCount: rows, width: width, dtype: dtype)
        try writer.append(rows: values)
        try writer.finish()
    }

    func testImportCreatesStoreThenAddsColumnAndExportRoundTripsByteExact() throws {
        let dir = temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = dir + "/s.store"
        let a = activationLike(rows: 1000, width: 24, seed: 1)
        try writeNPY(dir + "/a.npy", a, rows: 1000, width: 24)
        let result = try ColumnTransfer.importColumn(store: store, column: "a", file: dir + "/a.npy", codec: .f32, chunkRows: 128)
        XCTAssertEqual(result.rowCount, 1000)
        XCTAssertTrue(result.createdStore)

        // A second column from safetensors, (batch, ctx, d) flattened to rows.
        let b = activationLike(rows: 1000, width: 8, seed: 2)
        try SafetensorsWriter.write(path: dir + "/b.safetensors", tensors: [(name: "acts", shape: [10, 100, 8], values: b, dtype: .f32)])
        XCTAssertFalse(try ColumnTransfer.importColumn(store: store, column: "b", file: dir + "/b.safetensors", codec: .f16).createdStore)

        try ColumnTransfer.exportColumn(store: store, column: "a", to: dir + "/a-out.npy")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/a-out.npy")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/a.npy")), "f32 export is byte-identical to the imported file")
        try ColumnTransfer.exportColumn(store: store, column: "b", rows: 990..<1000, to: dir + "/b-tail.npy")
        var tail: [Float] = []
        try NPYFile(path: dir + "/b-tail.npy").readRows(0..<10, into: &tail)
        XCTAssertTrue(bitsEqual(tail, b[990 * 8..<1000 * 8].map { stored($0, .f16) }))
        XCTAssertTrue(StoreVerifier.verify(path: store).isSound)
    }

    func testBadFilesLeaveTheStoreUntouched() throws {
        let dir = temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = dir + "/s.store"
        try writeNPY(dir + "/a.npy", activationLike(rows: 300, width: 4, seed: 3), rows: 300, width: 4)
        try ColumnTransfer.importColumn(store: store, column: "a", file: dir + "/a.npy", codec: .f32, chunkRows: 64)
        let before = try StoreReader(path: store).info()

        FileManager.default.createFile(atPath: dir + "/magic.npy", contents: Data("not numpy at all".utf8))
        try writeNPY(dir + "/short.npy", activationLike(rows: 299, width: 4, seed: 4), rows: 299, width: 4)
        try writeNPY(dir + "/trunc.npy", activationLike(rows: 300, width: 4, seed: 5), rows: 300, width: 4)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: dir + "/trunc.npy"))
        try handle.truncate(atOffset: 500)
        try handle.close()
        try SafetensorsWriter.write(path: dir + "/ints.safetensors", tensors: [(name: "x", shape: [300, 4], values: [Float](repeating: 1, count: 1200), dtype: .i32)])
        var big = activationLike(rows: 300, width: 4, seed: 6)
        big[777] = 1e9
        try writeNPY(dir + "/big.npy", big, rows: 300, width: 4)

        let cases: [(String, ColumnCodec, String)] = [
            ("magic.npy", .f16, "not a .npy"), ("short.npy", .f16, "299 rows"), ("trunc.npy", .f16, "trunc.npy"),
            ("ints.safetensors", .f16, "I32"), ("big.npy", .f16, "cannot be stored as f16"),
        ]
        for (file, codec, message) in cases {
            XCTAssertThrowsError(try ColumnTransfer.importColumn(store: store, column: "new", file: dir + "/" + file, codec: codec), file) { error in
                XCTAssertTrue("\(error)".contains(message), "\(file): \(error)")
            }
            let after = try StoreReader(path: store).info()
            XCTAssertEqual(after.columns.map(\.name), before.columns.map(\.name), file)
            XCTAssertEqual(after.segmentBytes, before.segmentBytes, "\(file): no bytes left behind")
            XCTAssertTrue(StoreVerifier.verify(path: store).isSound, file)
        }
        // A failed import into a new store leaves no store behind.
        XCTAssertThrowsError(try ColumnTransfer.importColumn(store: dir + "/new.store", column: "x", file: dir + "/big.npy", codec: .f16))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/new.store"))
    }

    func testRowRangeParsing() throws {
        XCTAssertEqual(try RowRange.parse("5..10", rowCount: 20), 5..<10)
        XCTAssertEqual(try RowRange.parse("5..", rowCount: 20), 5..<20)
        XCTAssertEqual(try RowRange.parse("..3", rowCount: 20), 0..<3)
        XCTAssertEqual(try RowRange.parse("7", rowCount: 20), 7..<8)
        for bad in ["10..5", "a..b", "1..2..3", "0..21", "-1..2"] {
            XCTAssertThrowsError(try RowRange.parse(bad, rowCount: 20), bad)
        }
    }
}
