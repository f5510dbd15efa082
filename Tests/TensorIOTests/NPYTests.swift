import TensorIO
import Foundation
import XCTest
@testable import TensorIO
import TestTools

final class NPYTests: XCTestCase {
    /// Fixture contents: floats i·0.25 − 2, signed ints i − 7, unsigned ints i (see the script).
    private func expected(_ count: Int, _ kind: String) -> [Float] {
        (0..<count).map { i in kind == "float" ? Float(i) * 0.25 - 2 : kind == "signed" ? Float(i - 7) : Float(i) }
    }

    func testReadsNumpyFilesOfEveryDType() throws {
        let cases: [(String, TensorDType, Bool, String)] = [
            ("npy_f4_5x3.npy", .f32, false, "float"), ("npy_f2_5x3.npy", .f16, false, "float"),
            ("npy_f8_5x3.npy", .f64, false, "float"), ("npy_be_f4_5x3.npy", .f32, true, "float"),
            ("npy_be_f2_5x3.npy", .f16, true, "float"), ("npy_be_f8_5x3.npy", .f64, true, "float"),
            ("npy_i4_5x3.npy", .i32, false, "signed"), ("npy_i8_5x3.npy", .i64, false, "signed"),
            ("npy_u4_5x3.npy", .u32, false, "unsigned"), ("npy_u1_5x3.npy", .u8, false, "unsigned"),
            ("npy_f4_5x3_v2.npy", .f32, false, "float"), ("npy_f4_5x3_v3.npy", .f32, false, "float"),
        ]
        for (name, dtype, bigEndian, kind) in cases {
            let file = try NPYFile(path: TestSupport.fixture(name))
            XCTAssertEqual(file.dtype, dtype, name)
            XCTAssertEqual(file.isBigEndian, bigEndian, name)
            XCTAssertEqual(file.shape, [5, 3], name)
            XCTAssertEqual(file.rowCount, 5)
            XCTAssertEqual(file.width, 3)
            XCTAssertEqual(try file.allFloats(), expected(15, kind), name)
            var rows = [Float](repeating: 0, count: 1)
            try file.readRows(1..<3, into: &rows)
            XCTAssertEqual(rows, Array(expected(15, kind)[3..<9]), name)
            try file.readRows(5..<5, into: &rows)
            XCTAssertEqual(rows, [])
        }
    }

    func testRankViews() throws {
        let oneD = try NPYFile(path: TestSupport.fixture("npy_f4_1d_7.npy"))
        XCTAssertEqual(oneD.shape, [7])
        XCTAssertEqual([oneD.rowCount, oneD.width], [7, 1])
        XCTAssertEqual(try oneD.allFloats(), expected(7, "float"))
        // SAELens caches are (batch, context, width): read as batch·context rows.
        let threeD = try NPYFile(path: TestSupport.fixture("npy_f4_3d_2x3x4.npy"))
        XCTAssertEqual(threeD.shape, [2, 3, 4])
        XCTAssertEqual([threeD.rowCount, threeD.width], [6, 4])
        var rows = [Float]()
        try threeD.readRows(4..<6, into: &rows)
        XCTAssertEqual(rows, Array(expected(24, "float")[16..<24]))
    }

    func testRejectsUnsupported() throws {
        let fortran = TestSupport.fixture("npy_f4_fortran_5x3.npy")
        guard case .npyFortranOrder = TestSupport.expectError(path: fortran, { _ = try NPYFile(path: fortran) }) else { return XCTFail() }
        let complex = TestSupport.fixture("npy_c8_2x2.npy")
        guard case let .npyUnsupportedDType(_, descr) = TestSupport.expectError(path: complex, { _ = try NPYFile(path: complex) }) else { return XCTFail() }
        XCTAssertEqual(descr, "<c8")
        let scalar = TestSupport.fixture("npy_f4_0d.npy")
        guard case let .npyUnsupportedShape(_, shape) = TestSupport.expectError(path: scalar, { _ = try NPYFile(path: scalar) }) else { return XCTFail() }
        XCTAssertEqual(shape, [Int]())
        let file = try NPYFile(path: TestSupport.fixture("npy_f4_5x3.npy"))
        var out = [Float]()
        guard case let .rowRangeOutOfBounds(_, requested, rowCount) = TestSupport.expectError(path: file.path, { try file.readRows(3..<6, into: &out) }) else { return XCTFail() }
        XCTAssertEqual(requested, 3..<6)
        XCTAssertEqual(rowCount, 5)
    }

    /// Injected corruption of a real numpy file.
    func testMalformedFiles() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("npy_f4_5x3.npy"))))
        func variant(_ name: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
            var bytes = original
            edit(&bytes)
            let path = dir.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        func error(_ path: String) -> TensorIOError? { TestSupport.expectError(path: path) { _ = try NPYFile(path: path) } }

        guard case .npyBadMagic = error(try variant("magic.npy") { $0[1] = UInt8(ascii: "X") }) else { return XCTFail("magic") }
        guard case .npyBadMagic = error(try variant("tiny.npy") { $0 = Array($0.prefix(3)) }) else { return XCTFail("tiny") }
        guard case let .npyUnsupportedVersion(_, major, _) = error(try variant("version.npy") { $0[6] = 9 }) else { return XCTFail("version") }
        XCTAssertEqual(major, 9)
        guard case let .truncated(_, _, needed, _, _) = error(try variant("data.npy") { $0.removeLast(4) }) else { return XCTFail("data") }
        XCTAssertEqual(needed, 60)
        guard case .truncated = error(try variant("header.npy") { $0 = Array($0.prefix(40)) }) else { return XCTFail("header") }
        guard case .truncated = error(try variant("headerlen.npy") { $0[8] = 0xff; $0[9] = 0xff }) else { return XCTFail("headerlen") }
        let headerText = String(decoding: original[10..<128], as: UTF8.self)
        func replacing(_ old: String, _ new: String) -> (inout [UInt8]) -> Void {
            { bytes in
                // Re-pad with spaces so the header length field stays right.
                var replaced = Array(headerText.replacingOccurrences(of: old, with: new)
                    .trimmingCharacters(in: .whitespacesAndNewlines).utf8)
                precondition(replaced.count < headerText.utf8.count, "edit must fit the header")
                replaced += [UInt8](repeating: UInt8(ascii: " "), count: headerText.utf8.count - 1 - replaced.count) + [UInt8(ascii: "\n")]
                bytes.replaceSubrange(10..<128, with: replaced)
            }
        }
        XCTAssertTrue(headerText.contains("'fortran_order': False"), headerText)
        guard case .npyFortranOrder = error(try variant("fortran.npy", replacing("False", "True ")))
        else { return XCTFail("fortran") }
        guard case .npyBadHeader = error(try variant("nodescr.npy", replacing("'descr'", "'descx'"))) else { return XCTFail("descr") }
        guard case .npyBadHeader = error(try variant("badshape.npy", replacing("(5, 3)", "(5, x)"))) else { return XCTFail("shape") }
        guard case .npyBadHeader = error(try variant("negshape.npy", replacing("(5, 3)", "(-5,3)"))) else { return XCTFail("negative") }
        guard case .npyBadHeader = error(try variant("unclosed.npy", replacing("}", " "))) else { return XCTFail("unclosed") }
        guard case .npyUnsupportedDType = error(try variant("object.npy", replacing("'<f4'", "'|O' "))) else { return XCTFail("object") }
        guard case .npyUnsupportedShape = error(try variant("rank4.npy", replacing("(5, 3)", "(1,1,5,3)"))) else { return XCTFail("rank4") }
        guard case .truncated = error(try variant("bigger.npy", replacing("(5, 3)", "(9, 3)"))) else { return XCTFail("bigger") }
        guard case .npyUnsupportedShape = error(try variant("overflow.npy", replacing("'shape': (5, 3), }", "'shape':(9999999999,99999999999)}"))) else { return XCTFail("overflow") }
    }

    func testWriterRoundTrip() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        var generator = SplitMix64(seed: 3)
        let width = 7, rowCount = 11
        let values = (0..<(rowCount * width)).map { _ in Float(Int64(bitPattern: generator.next() % 2000) - 1000) / 37 }
        for dtype in [TensorDType.f32, .f16] {
            let path = dir.appendingPathComponent("rows-\(dtype.rawValue).npy").path
            let writer = try NPYWriter(path: path, rowCount: rowCount, width: width, dtype: dtype)
            try writer.append(rows: Array(values[0..<(3 * width)]))
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "file appears only when finished")
            try writer.append(rows: Array(values[(3 * width)...]))
            try writer.finish()
            let file = try NPYFile(path: path)
            XCTAssertEqual(file.shape, [rowCount, width])
            XCTAssertEqual(file.dtype, dtype)
            XCTAssertEqual(file.dataByteOffset % 64, 0, "numpy's 64-byte data alignment")
            let expected = dtype == .f32 ? values : values.map { HalfConversion.float(fromF16: HalfConversion.f16Bits($0)) }
            XCTAssertEqual(try file.allFloats(), expected)
        }
        // A zero-row file is valid.
        let emptyPath = dir.appendingPathComponent("empty.npy").path
        let empty = try NPYWriter(path: emptyPath, rowCount: 0, width: 4)
        try empty.finish()
        XCTAssertEqual(try NPYFile(path: emptyPath).shape, [0, 4])
    }

    /// numpy reads what NPYWriter writes (numpy from $SAESTORE_PYTHON or python3; required under CI=true).
    func testNumpyReadsWriterOutput() throws {
        let python = try ExternalTool.python(importing: "numpy")
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("check.npy").path
        let writer = try NPYWriter(path: path, rowCount: 2, width: 3, dtype: .f16)
        try writer.append(rows: [1, 2, 3, 4, 5, 6.5])
        try writer.finish()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a.ravel().tolist())", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "float16 (2, 3) [1.0, 2.0, 3.0, 4.0, 5.0, 6.5]")
    }

    func testWriterRejectsMisuse() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("misuse.npy").path
        guard case .invalidWrite = TestSupport.expectError(path: path, { _ = try NPYWriter(path: path, rowCount: 1, width: 1, dtype: .i32) }) else { return XCTFail() }
        let writer = try NPYWriter(path: path, rowCount: 2, width: 3)
        guard case .invalidWrite = TestSupport.expectError(path: path, { try writer.append(rows: [1, 2]) }) else { return XCTFail("partial row") }
        guard case .invalidWrite = TestSupport.expectError(path: path, { try writer.append(rows: [Float](repeating: 0, count: 9)) }) else { return XCTFail("too many") }
        try writer.append(rows: [1, 2, 3])
        guard case .invalidWrite = TestSupport.expectError(path: path, { try writer.finish() }) else { return XCTFail("short") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        try writer.append(rows: [4, 5, 6])
        try writer.finish()
        XCTAssertEqual(try NPYFile(path: path).allFloats(), [1, 2, 3, 4, 5, 6])
        guard case .invalidWrite = TestSupport.expectError(path: path, { try writer.finish() }) else { return XCTFail("twice") }
    }
}
