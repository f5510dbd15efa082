import TensorIO
import Foundation
import XCTest
@testable import TensorIO

/// Broken files, built byte by byte, must each raise the right TensorIOError and never trap.
final class SafetensorsMalformedTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestSupport.temporaryDirectory(self)
    }

    /// A file with the given u64 header length field, header text and data bytes.
    private func write(_ name: String, headerLength: UInt64? = nil, header: String, dataByteCount: Int) throws -> String {
        let headerBytes = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (headerLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += headerBytes
        bytes += [UInt8](repeating: 0, count: dataByteCount)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func openError(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> TensorIOError? {
        TestSupport.expectError(path: path, file: file, line: line) { _ = try SafetensorsFile(path: path) }
    }

    func testHeaderLengthHuge() throws {
        let path = try write("huge.safetensors", headerLength: 1 << 40, header: "{}", dataByteCount: 0)
        guard case let .headerTooLarge(_, header, limit, _) = openError(path) else { return XCTFail() }
        XCTAssertEqual(header, 1 << 40)
        XCTAssertEqual(limit, 100_000_000)
        let beyondFile = try write("beyond.safetensors", headerLength: 500, header: "{}", dataByteCount: 10)
        guard case .headerTooLarge = openError(beyondFile) else { return XCTFail() }
        let maxU64 = try write("max.safetensors", headerLength: .max, header: "{}", dataByteCount: 0)
        guard case .headerTooLarge = openError(maxU64) else { return XCTFail() }
    }

    func testTooShortForLength() throws {
        for count in [0, 7] {
            let path = dir.appendingPathComponent("short\(count)").path
            try Data(repeating: 1, count: count).write(to: URL(fileURLWithPath: path))
            guard case let .truncated(_, _, needed, fileBytes, _) = openError(path) else { return XCTFail() }
            XCTAssertEqual(needed, 8)
            XCTAssertEqual(fileBytes, count)
        }
    }

    func testTruncatedFile() throws {
        let good = dir.appendingPathComponent("good.safetensors").path
        try SafetensorsWriter.write(path: good, tensors: [(name: "a", shape: [4, 4], values: .init(repeating: 1, count: 16), dtype: .f32)])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let cutData = dir.appendingPathComponent("cut-data.safetensors").path
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: cutData))
        guard case let .offsetsOutOfBounds(_, tensor, _, end, dataBytes) = openError(cutData) else { return XCTFail() }
        XCTAssertEqual(tensor, "a")
        XCTAssertEqual(end, 64)
        XCTAssertEqual(dataBytes, 59)
        let cutHeader = dir.appendingPathComponent("cut-header.safetensors").path
        try bytes.prefix(20).write(to: URL(fileURLWithPath: cutHeader))
        guard case .headerTooLarge = openError(cutHeader) else { return XCTFail() }
    }

    func testBadJSON() throws {
        for (name, header) in [("brace", "{\"a\": {\"dtype\": \"F32\""), ("array", "[1, 2]"), ("garbage", "\u{1}\u{2}xyz"), ("empty", "")] {
            let path = try write("\(name).safetensors", header: header, dataByteCount: 4)
            guard case let .invalidHeader(_, byteOffset, _) = openError(path) else { return XCTFail(name) }
            XCTAssertEqual(byteOffset, 8)
        }
    }

    func testMalformedEntries() throws {
        let cases: [(String, String)] = [
            ("nodtype", #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#),
            ("noshape", #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#),
            ("nooffsets", #"{"a":{"dtype":"F32","shape":[1]}}"#),
            ("stringshape", #"{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#),
            ("floatshape", #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#),
            ("negativeshape", #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#),
            ("threeoffsets", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#),
            ("notobject", #"{"a":3}"#),
        ]
        for (name, header) in cases {
            let path = try write("\(name).safetensors", header: header, dataByteCount: 8)
            guard case let .malformedTensorEntry(_, tensor, _) = openError(path) else { return XCTFail(name) }
            XCTAssertEqual(tensor, "a", name)
        }
    }

    func testUnknownDType() throws {
        let path = try write("dtype.safetensors", header: #"{"w":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,4]}}"#, dataByteCount: 4)
        guard case let .unknownDType(_, tensor, dtype) = openError(path) else { return XCTFail() }
        XCTAssertEqual(tensor, "w")
        XCTAssertEqual(dtype, "Q4_K")
    }

    func testOffsetsOutOfBounds() throws {
        let past = try write("past.safetensors", header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataByteCount: 8)
        guard case let .offsetsOutOfBounds(_, tensor, begin, end, dataBytes) = openError(past) else { return XCTFail() }
        XCTAssertEqual([begin, end, dataBytes], [4, 12, 8])
        XCTAssertEqual(tensor, "w")
        let reversed = try write("reversed.safetensors", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, dataByteCount: 8)
        guard case .offsetsOutOfBounds = openError(reversed) else { return XCTFail() }
        let negative = try write("negative.safetensors", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, dataByteCount: 8)
        guard case .offsetsOutOfBounds = openError(negative) else { return XCTFail() }
        let huge = try write("hugeoffset.safetensors", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#, dataByteCount: 8)
        XCTAssertNotNil(openError(huge), "an offset beyond Int is rejected, not trapped")
    }

    func testSizeMismatch() throws {
        let path = try write("size.safetensors", header: #"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#, dataByteCount: 8)
        guard case let .sizeMismatch(_, tensor, shape, dtype, expected, actual) = openError(path) else { return XCTFail() }
        XCTAssertEqual(tensor, "w")
        XCTAssertEqual(shape, [3])
        XCTAssertEqual(dtype, .f16)
        XCTAssertEqual(expected, 6)
        XCTAssertEqual(actual, 8)
        // A shape whose product overflows Int must not wrap around to a small byte count.
        let overflow = try write("overflow.safetensors",
                                 header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904,4],"data_offsets":[0,0]}}"#,
                                 dataByteCount: 0)
        guard case .sizeMismatch = openError(overflow) else { return XCTFail() }
    }

    func testOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let path = try write("overlap.safetensors", header: header, dataByteCount: 12)
        guard case let .overlappingTensors(_, first, second, firstRange, secondRange) = openError(path) else { return XCTFail() }
        XCTAssertEqual(Set([first, second]), ["a", "b"])
        XCTAssertEqual(firstRange, 0..<8)
        XCTAssertEqual(secondRange, 4..<12)
        // Same range twice is overlap too; an empty tensor at the same offset is not.
        let same = try write("same.safetensors", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, dataByteCount: 4)
        guard case .overlappingTensors = openError(same) else { return XCTFail() }
        let empty = try write("empty.safetensors", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#, dataByteCount: 4)
        XCTAssertEqual(try SafetensorsFile(path: empty).tensors.count, 2)
    }

    func testBadMetadata() throws {
        for (name, metadata) in [("number", #"{"a":1}"#), ("list", #"[]"#), ("nested", #"{"a":{"b":"c"}}"#)] {
            let path = try write("meta-\(name).safetensors", header: #"{"__metadata__":\#(metadata)}"#, dataByteCount: 0)
            guard case .invalidMetadata = openError(path) else { return XCTFail(name) }
        }
    }

    func testMissingFile() throws {
        let path = dir.appendingPathComponent("nope.safetensors").path
        guard case let .io(_, operation, _) = openError(path) else { return XCTFail() }
        XCTAssertEqual(operation, "open")
    }

    /// Random byte corruption of a valid file: every result is either a file whose tensors all
    /// read, or a TensorIOError — never a trap.
    func testRandomCorruptionNeverTraps() throws {
        let good = dir.appendingPathComponent("good.safetensors").path
        try SafetensorsWriter.write(path: good, tensors: [
            (name: "a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .f16),
            (name: "b", shape: [3], values: [1, 2, 3], dtype: .f32),
        ], metadata: ["k": "v"])
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: good)))
        var generator = SplitMix64(seed: 1)
        let path = dir.appendingPathComponent("fuzz.safetensors").path
        var opened = 0, rejected = 0
        for _ in 0..<1500 {
            var bytes = original
            let edits = 1 + Int(generator.next() % 3)
            for _ in 0..<edits {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            if generator.next() % 4 == 0 { bytes.removeLast(Int(generator.next() % UInt64(bytes.count))) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let file = try SafetensorsFile(path: path)
                for name in file.tensors.keys {
                    do { _ = try file.floats(name) } catch let error as TensorIOError {
                        guard case .unsupportedConversion = error else { return XCTFail("\(error)") }
                    }
                }
                opened += 1
            } catch is TensorIOError {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 100)
        XCTAssertGreaterThan(opened, 10)
    }
}
