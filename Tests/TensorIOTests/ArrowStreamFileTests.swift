import Foundation
import XCTest
@testable import TensorIO

/// The Arrow IPC stream reader (what SAELens caches are stored in) on files pyarrow wrote
/// (scripts/fixtures/arrow_fixtures.py): every column's bytes equal the .npy numpy saved of the
/// same values; what it does not take (ragged lists, nulls, compression, dictionaries, truncation,
/// corruption) is refused with a typed error naming the file, never a trap.
final class ArrowStreamFileTests: XCTestCase {
    private func fixture(_ name: String) -> String { TestSupport.fixture("arrow/" + name) }

    /// The .npy's shape and its data bytes (little-endian, row-major, as numpy wrote them).
    private func npy(_ name: String) throws -> (shape: [Int], bytes: [UInt8]) {
        let file = try NPYFile(path: fixture(name))
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture(name)))
        return (file.shape, Array(data[file.dataByteOffset...]))
    }

    /// A column over all batches: the rows summed, the inner extents checked equal batch to batch.
    private func column(_ file: ArrowStreamFile, _ name: String) throws -> (shape: [Int], leaf: ArrowStreamFile.FieldType, bytes: [UInt8]) {
        var rows = 0, inner: [Int]?, bytes: [UInt8] = [], leaf: ArrowStreamFile.FieldType?
        for batch in 0..<file.batchCount {
            let part = try file.denseColumn(name, batch: batch)
            rows += part.shape[0]
            if let inner { XCTAssertEqual(Array(part.shape.dropFirst()), inner, "\(name) batch \(batch)") }
            inner = Array(part.shape.dropFirst())
            leaf = part.leaf
            bytes += part.bytes
        }
        return ([rows] + (inner ?? []), leaf!, bytes)
    }

    func testNestedListsOverTwoBatchesEqualNumpysValues() throws {
        let file = try ArrowStreamFile(path: fixture("lists_f32.arrow"))
        XCTAssertEqual(file.fields.map(\.name), ["acts", "tokens"])
        XCTAssertEqual(file.fields[0].type, .list)
        XCTAssertEqual(file.batchCount, 2)
        XCTAssertEqual(file.rowCount, 7)
        let acts = try column(file, "acts"), expectedActs = try npy("lists_f32_acts.npy")
        XCTAssertEqual(acts.shape, expectedActs.shape)
        XCTAssertEqual(acts.leaf, .float(bitWidth: 32))
        XCTAssertEqual(acts.bytes, expectedActs.bytes)
        let tokens = try column(file, "tokens"), expectedTokens = try npy("lists_f32_tokens.npy")
        XCTAssertEqual(tokens.shape, expectedTokens.shape)
        XCTAssertEqual(tokens.leaf, .int(bitWidth: 32, signed: true))
        XCTAssertEqual(tokens.bytes, expectedTokens.bytes)
    }

    func testFixedSizeListsOfHalfFloatsAfterAnotherColumn() throws {
        let file = try ArrowStreamFile(path: fixture("fixed_f16.arrow"))
        XCTAssertEqual(file.fields.map(\.name), ["id", "acts"])
        XCTAssertEqual(file.fields[1].type, .fixedSizeList(2))
        let acts = try column(file, "acts"), expected = try npy("fixed_f16_acts.npy")
        XCTAssertEqual(acts.shape, [6, 2, 8])
        XCTAssertEqual(acts.shape, expected.shape)
        XCTAssertEqual(acts.leaf, .float(bitWidth: 16))
        XCTAssertEqual(acts.bytes, expected.bytes)
        let id = try column(file, "id"), expectedID = try npy("fixed_f16_id.npy")
        XCTAssertEqual(id.shape, [6])
        XCTAssertEqual(id.bytes, expectedID.bytes)
    }

    func testAnAbsentColumnIsNamedWithTheFilesColumns() throws {
        let path = fixture("fixed_f16.arrow")
        XCTAssertThrowsError(try ArrowStreamFile(path: path).denseColumn("hook", batch: 0)) { error in
            XCTAssertEqual(error as? ArrowError, .column(path: path, name: "hook", detail: "absent (the file has id, acts)"))
        }
    }

    func testRaggedListsAndNullsAreRefusedNamingTheBatch() throws {
        for (name, needle) in [("ragged.arrow", "ragged lists"), ("nulls.arrow", "null values")] {
            let path = fixture(name)
            XCTAssertThrowsError(try ArrowStreamFile(path: path).denseColumn("acts", batch: 0), name) { error in
                guard case let .column(errorPath, column, detail)? = error as? ArrowError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(errorPath, path)
                XCTAssertEqual(column, "acts")
                XCTAssertTrue(detail.hasPrefix("record batch 0: "), detail)
                XCTAssertTrue(detail.contains(needle), detail)
            }
        }
    }

    func testCompressionAndDictionariesAreRefusedByName() throws {
        for (name, needle) in [("compressed.arrow", "compress"), ("dictionary.arrow", "ictionar")] {
            let path = fixture(name)
            do {
                let file = try ArrowStreamFile(path: path)
                _ = try file.denseColumn(file.fields[0].name, batch: 0)
                XCTFail("\(name) was read")
            } catch let error as ArrowError {
                XCTAssertTrue(error.description.contains(path), error.description)
                XCTAssertTrue(error.description.lowercased().contains(needle), "\(name): \(error.description)")
            }
        }
    }

    func testEveryTruncationIsAMalformedErrorWithAnOffset() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("lists_f32.arrow")))
        let directory = try TestSupport.temporaryDirectory(self)
        var refused = 0
        for cut in stride(from: 1, to: bytes.count, by: 7) {
            let path = directory.appendingPathComponent("cut-\(cut).arrow").path
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            do {
                let file = try ArrowStreamFile(path: path)
                // A cut exactly between messages is a shorter, valid stream: its columns still read.
                for batch in 0..<file.batchCount { _ = try file.denseColumn("acts", batch: batch) }
            } catch let error as ArrowError {
                refused += 1
                XCTAssertTrue(error.description.contains(path), error.description)
            }
        }
        XCTAssertGreaterThan(refused, 150, "most cuts land inside a message")
    }

    /// Random byte flips: every one either reads or throws an ArrowError; none traps.
    func testRandomCorruptionNeverTraps() throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("lists_f32.arrow"))))
        let directory = try TestSupport.temporaryDirectory(self)
        var generator = SplitMix64(seed: 20261202)
        let path = directory.appendingPathComponent("corrupt.arrow").path
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<Int(generator.next() % 4 + 1) {
                bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let file = try ArrowStreamFile(path: path)
                for field in file.fields {
                    for batch in 0..<file.batchCount {
                        do { _ = try file.denseColumn(field.name, batch: batch) } catch is ArrowError {}
                    }
                }
            } catch is ArrowError {
                continue
            }
        }
    }
}
