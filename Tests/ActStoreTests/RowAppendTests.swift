import TensorIO
import Foundation
import XCTest
@testable import ActStore

/// `RowAppend` (`import --append` of bare rows): parts appended one by one give one import of
/// their concatenation byte for byte; bad parts are refused naming the file, the place and what
/// was expected, and leave every stored byte as it was.
final class RowAppendTests: XCTestCase {
    let width = 16
    let column = "acts"

    /// Parts of `sizes` rows of one activation-like matrix, written as part-K.npy, and the
    /// whole matrix as whole.npy.
    private func parts(_ dir: String, sizes: [Int], seed: UInt64 = 7) throws -> (whole: String, parts: [String], values: [Float]) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let values = activationLike(rows: sizes.reduce(0, +), width: width, seed: seed)
        var paths: [String] = []
        var start = 0
        for (k, size) in sizes.enumerated() {
            let path = dir + "/part-\(k).npy"
            try writeNPY(path, slice(values, rows: start..<start + size, width: width), width: width)
            paths.append(path)
            start += size
        }
        try writeNPY(dir + "/whole.npy", values, width: width)
        return (dir + "/whole.npy", paths, values)
    }

    /// Imports the first part, appends the others; returns each append's result.
    private func importInParts(_ store: String, _ paths: [String], codec: ColumnCodec, chunkRows: Int = 256) throws -> [RowAppend.Result] {
        try ColumnTransfer.importColumn(store: store, column: column, file: paths[0], codec: codec, chunkRows: chunkRows)
        return try paths.dropFirst().map { try RowAppend.append(store: store, files: [.init(column: column, file: $0)]) }
    }

    func testPartsAppendedInOrderAreOneImportOfTheirConcatenationByteForByte() throws {
        for codec in [ColumnCodec.f32, .f16, .bf16] {
            let dir = temporaryDirectory(self) + "-\(codec.rawValue)"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
            // Part sizes that end inside a chunk, a part smaller than what is left of one, and a
            // part spanning several chunks.
            let (whole, paths, values) = try parts(dir, sizes: [700, 300, 5, 1100])
            let single = dir + "/single", appended = dir + "/appended"
            try ColumnTransfer.importColumn(store: single, column: column, file: whole, codec: codec, chunkRows: 256)
            let results = try importInParts(appended, paths, codec: codec)

            XCTAssertEqual(results.map(\.firstRow), [700, 1000, 1005], "\(codec)")
            XCTAssertEqual(results.map(\.continuedLastChunk), [true, true, true], "\(codec): every part ended inside a chunk")
            XCTAssertEqual(try exportedBytes(appended, column: column, scratch: dir), try exportedBytes(single, column: column, scratch: dir), "\(codec)")
            // The same chunks, compressed bytes and all: only where they sit in the segment differs.
            XCTAssertEqual(try chunkContents(appended, column: column), try chunkContents(single, column: column), "\(codec)")
            let reader = try StoreReader(path: appended)
            XCTAssertEqual(reader.rowCount, 2105)
            var read: [Float] = []
            try reader.readRows(column: column, rows: 0..<reader.rowCount, into: &read)
            XCTAssertTrue(bitsEqual(read, values.map { stored($0, codec) }), "\(codec): rows are the stored values of the parts")
            let report = StoreVerifier.verify(path: appended)
            XCTAssertTrue(report.isSound, "\(codec): \(report.problems)")
            XCTAssertEqual(report.uncommittedTailBytes, 0)
        }
    }

    /// Lossy codecs do not re-cut the short last chunk (its values would be quantized twice):
    /// parts meet at a short chunk. Per-row int8 still gives one import's rows exactly;
    /// int8-outlier's per-chunk statistics make each part's rows those of importing that part.
    func testLossyCodecsMeetAtAShortChunkAndKeepEachPartsRows() throws {
        for codec in [ColumnCodec.int8, .int8Outlier] {
            let dir = temporaryDirectory(self) + "-\(codec.rawValue)"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
            let (whole, paths, _) = try parts(dir, sizes: [700, 300])
            let appended = dir + "/appended", single = dir + "/single", second = dir + "/second"
            let results = try importInParts(appended, paths, codec: codec)
            XCTAssertEqual(results.map(\.continuedLastChunk), [false], "\(codec)")
            let records = try StoreReader(path: appended).chunkRecords(column: column)
            XCTAssertEqual(records.map(\.rowCount), [256, 256, 188, 256, 44], "\(codec)")
            XCTAssertTrue(StoreVerifier.verify(path: appended).isSound)

            try ColumnTransfer.importColumn(store: second, column: column, file: paths[1], codec: codec, chunkRows: 256)
            let reader = try StoreReader(path: appended), alone = try StoreReader(path: second)
            var a: [Float] = [], b: [Float] = []
            try reader.readRows(column: column, rows: 700..<1000, into: &a)
            try alone.readRows(column: column, rows: 0..<300, into: &b)
            XCTAssertTrue(bitsEqual(a, b), "\(codec): the appended part reads as that part imported alone")
            if codec == .int8 {
                try ColumnTransfer.importColumn(store: single, column: column, file: whole, codec: codec, chunkRows: 256)
                XCTAssertEqual(try exportedBytes(appended, column: column, scratch: dir), try exportedBytes(single, column: column, scratch: dir))
            }
        }
    }

    func testWidthMismatchIsRefusedNamingTheFileAndNothingChanges() throws {
        let dir = temporaryDirectory(self)
        let (_, paths, _) = try parts(dir, sizes: [700])
        let store = dir + "/store"
        try ColumnTransfer.importColumn(store: store, column: column, file: paths[0], codec: .f16, chunkRows: 256)
        let narrow = dir + "/narrow.npy"
        try writeNPY(narrow, activationLike(rows: 10, width: 8, seed: 3), width: 8)
        let before = try StoreSnapshot(store)
        XCTAssertThrowsError(try RowAppend.append(store: store, files: [.init(column: column, file: narrow)])) { error in
            guard case let AppendError.mismatch(_, file, position, expected, found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, narrow)
            XCTAssertEqual(position, "its shape (10 rows, width 8)")
            XCTAssertTrue(expected.contains("width 16") && expected.contains(column), expected)
            XCTAssertEqual(found, "width 8")
            XCTAssertTrue("\(error)".contains(narrow) && "\(error)".contains("Nothing was appended"), "\(error)")
        }
        XCTAssertEqual(try StoreSnapshot(store), before)
    }

    func testDtypeColumnAndKindMismatchesAreRefusedAndNothingChanges() throws {
        let dir = temporaryDirectory(self)
        let (_, paths, _) = try parts(dir, sizes: [300, 200])
        let store = dir + "/store"
        try ColumnTransfer.importColumn(store: store, column: column, file: paths[0], codec: .f16, chunkRows: 256)
        let before = try StoreSnapshot(store)
        XCTAssertThrowsError(try RowAppend.append(store: store, files: [.init(column: column, file: paths[1])], codec: .f32)) { error in
            guard case let AppendError.mismatch(_, file, position, expected, found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, paths[1])
            XCTAssertEqual(position, "--dtype f32")
            XCTAssertTrue(expected.hasPrefix("f16"), expected)
            XCTAssertEqual(found, "f32")
        }
        XCTAssertThrowsError(try RowAppend.append(store: store, files: [.init(column: "blocks.5.hook_resid_pre", file: paths[1])])) { error in
            guard case let AppendError.mismatch(_, file, position, _, found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, paths[1])
            XCTAssertEqual(position, "--column blocks.5.hook_resid_pre")
            XCTAssertEqual(found, "no such column")
        }
        XCTAssertEqual(try StoreSnapshot(store), before)

        // Bare rows cannot join a store of documents: they have no tokens and no text.
        let documents = dir + "/documents"
        do {  // closed (lock released) before the append opens its own writer
            let writer = try StoreWriter.create(at: documents, manifest: manifest(width: width, codec: .f16))
            try writer.append(makeDocument(0, width: width, tokens: 40))
            try writer.commit()
        }
        let docsBefore = try StoreSnapshot(documents)
        XCTAssertThrowsError(try RowAppend.append(store: documents, files: [.init(column: hookName, file: paths[1])])) { error in
            guard case let AppendError.mismatch(_, _, _, expected, found) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(expected.contains("holds documents"), expected)
            XCTAssertEqual(found, "bare rows")
        }
        XCTAssertEqual(try StoreSnapshot(documents), docsBefore)
        XCTAssertThrowsError(try RowAppend.append(store: dir + "/missing", files: [.init(column: column, file: paths[1])])) { error in
            guard case StoreError.notAStore = error else { return XCTFail("\(error)") }
        }
    }

    func testASecondAppendOfThePartIsRefusedByItsBytesUnderAnyName() throws {
        let dir = temporaryDirectory(self)
        let (_, paths, _) = try parts(dir, sizes: [700, 300])
        let store = dir + "/store"
        _ = try importInParts(store, paths, codec: .f16)
        let after = try StoreSnapshot(store)
        let renamed = dir + "/renamed-copy.npy"
        try FileManager.default.copyItem(atPath: paths[1], toPath: renamed)
        for (again, firstRow) in [(paths[0], 0), (paths[1], 700), (renamed, 700)] {
            XCTAssertThrowsError(try RowAppend.append(store: store, files: [.init(column: column, file: again)])) { error in
                guard case let AppendError.duplicatePart(_, file, _, earlier) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(file, again)
                XCTAssertEqual(earlier.firstRow, firstRow, "the error says where the part's rows already are")
                XCTAssertEqual(earlier.rowCount, firstRow == 0 ? 700 : 300)
            }
        }
        XCTAssertEqual(try StoreSnapshot(store), after)
        XCTAssertEqual(try StoreReader(path: store).rowCount, 1000)
    }

    /// A value f16 cannot hold, 600 rows into the part: chunks before it were already written
    /// to the segment (the reopened last chunk among them). All of it is cut off again; the
    /// good part then appends as if nothing had happened.
    func testAPartThatFailsMidwayLeavesEveryStoredByteAndAppendsLater() throws {
        let dir = temporaryDirectory(self)
        let (whole, paths, values) = try parts(dir, sizes: [700, 800])
        let store = dir + "/store", single = dir + "/single"
        try ColumnTransfer.importColumn(store: store, column: column, file: paths[0], codec: .f16, chunkRows: 256)
        var bad = slice(values, rows: 700..<1500, width: width)
        bad[600 * width + 3] = 1e6
        let badPath = dir + "/bad.npy"
        try writeNPY(badPath, bad, width: width)
        let before = try StoreSnapshot(store)
        XCTAssertThrowsError(try RowAppend.append(store: store, files: [.init(column: column, file: badPath)])) { error in
            guard case let StoreError.valueNotRepresentable(name, row, _, codec) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, column)
            XCTAssertEqual(row, 1300, "the store row the bad value would have become")
            XCTAssertEqual(codec, .f16)
        }
        XCTAssertEqual(try StoreSnapshot(store), before)
        let report = StoreVerifier.verify(path: store)
        XCTAssertTrue(report.isSound, "\(report.problems)")
        XCTAssertEqual(report.uncommittedTailBytes, 0, "the written chunks were cut off")

        _ = try RowAppend.append(store: store, files: [.init(column: column, file: paths[1])])
        try ColumnTransfer.importColumn(store: single, column: column, file: whole, codec: .f16, chunkRows: 256)
        XCTAssertEqual(try exportedBytes(store, column: column, scratch: dir), try exportedBytes(single, column: column, scratch: dir))
        XCTAssertEqual(try chunkContents(store, column: column), try chunkContents(single, column: column))
    }

    /// A store with two columns takes a part's rows for both at once, or not at all.
    func testEveryColumnOfTheNewRowsComesInAtOnce() throws {
        let dir = temporaryDirectory(self)
        let (_, paths, _) = try parts(dir, sizes: [700, 300])
        let narrowValues = activationLike(rows: 1000, width: 4, seed: 11)
        let narrow0 = dir + "/narrow-0.npy", narrow1 = dir + "/narrow-1.npy", short = dir + "/short.npy"
        try writeNPY(narrow0, slice(narrowValues, rows: 0..<700, width: 4), width: 4)
        try writeNPY(narrow1, slice(narrowValues, rows: 700..<1000, width: 4), width: 4)
        try writeNPY(short, slice(narrowValues, rows: 700..<900, width: 4), width: 4)
        let store = dir + "/store"
        try ColumnTransfer.importColumn(store: store, column: column, file: paths[0], codec: .f32, chunkRows: 256)
        try ColumnTransfer.importColumn(store: store, column: "narrow", file: narrow0, codec: .f32)
        let before = try StoreSnapshot(store)
        XCTAssertThrowsError(try RowAppend.append(store: store, files: [.init(column: column, file: paths[1])])) { error in
            guard case let AppendError.mismatch(_, _, _, _, found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(found, "no file for narrow")
        }
        XCTAssertThrowsError(try RowAppend.append(store: store, files: [.init(column: column, file: paths[1]), .init(column: "narrow", file: short)])) { error in
            guard case let AppendError.mismatch(_, file, _, expected, found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, short)
            XCTAssertTrue(expected.hasPrefix("300 rows"), expected)
            XCTAssertEqual(found, "200 rows")
        }
        XCTAssertEqual(try StoreSnapshot(store), before)

        let result = try RowAppend.append(store: store, files: [.init(column: "narrow", file: narrow1), .init(column: column, file: paths[1])])
        XCTAssertEqual(result.storeRowCount, 1000)
        let reader = try StoreReader(path: store)
        var read: [Float] = []
        try reader.readRows(column: "narrow", rows: 0..<1000, into: &read)
        XCTAssertTrue(bitsEqual(read, narrowValues))
        XCTAssertTrue(StoreVerifier.verify(path: store).isSound)
    }
}
