import Foundation
import XCTest
import ActStore
@testable import StreamTrain
import TestTools

final class TensorBoardTests: XCTestCase {
    func testEventFileStructure() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try TensorBoardWriter(directory: dir, hostName: "testhost", date: Date(timeIntervalSince1970: 1_700_000_000))
        XCTAssertEqual(writer.fileURL.lastPathComponent, "events.out.tfevents.1700000000.testhost")
        try writer.addScalars([("losses/mse_loss", 0.25), ("metrics/l0", 12.5)], step: 10, wallTime: 1_700_000_001.5)
        try writer.addScalars([("losses/mse_loss", 0.125)], step: 20, wallTime: 1_700_000_002)
        try writer.flush()

        let records = try TFRecordReader.records(Array(try Data(contentsOf: writer.fileURL)))
        XCTAssertEqual(records.count, 3)
        let header = try ProtoReader.fields(records[0])
        XCTAssertEqual(header[1]?.first?.double, 1_700_000_000)
        XCTAssertEqual(header[3]?.first?.bytes.map { String(decoding: $0, as: UTF8.self) }, "brain.Event:2")

        let first = try ProtoReader.fields(records[1])
        XCTAssertEqual(first[1]?.first?.double, 1_700_000_001.5)
        XCTAssertEqual(first[2]?.first?.varint, 10)
        let summary = try ProtoReader.fields(try XCTUnwrap(first[5]?.first?.bytes))
        let values = try (summary[1] ?? []).map { try ProtoReader.fields(try XCTUnwrap($0.bytes)) }
        XCTAssertEqual(values.count, 2)
        XCTAssertEqual(values[0][1]?.first?.bytes.map { String(decoding: $0, as: UTF8.self) }, "losses/mse_loss")
        XCTAssertEqual(values[0][2]?.first?.float, 0.25)
        XCTAssertEqual(values[1][1]?.first?.bytes.map { String(decoding: $0, as: UTF8.self) }, "metrics/l0")
        XCTAssertEqual(values[1][2]?.first?.float, 12.5)
        XCTAssertEqual(try ProtoReader.fields(records[2])[2]?.first?.varint, 20)

        // A resumed run's file hides the killed run's later steps with SessionLog START.
        let resumed = try TensorBoardWriter(directory: dir, hostName: "testhost", date: Date(timeIntervalSince1970: 1_700_000_000),
                                            resumingFromStep: 6)
        XCTAssertEqual(resumed.fileURL.lastPathComponent, "events.out.tfevents.1700000000.testhost.1")
        try resumed.flush()
        let resumedRecords = try TFRecordReader.records(Array(try Data(contentsOf: resumed.fileURL)))
        XCTAssertEqual(resumedRecords.count, 2)
        let start = try ProtoReader.fields(resumedRecords[1])
        XCTAssertEqual(start[2]?.first?.varint, 7)
        XCTAssertEqual(try ProtoReader.fields(try XCTUnwrap(start[7]?.first?.bytes))[1]?.first?.varint, 1)

        // A flipped data byte must break the record's CRC.
        var corrupt = Array(try Data(contentsOf: writer.fileURL))
        corrupt[corrupt.count - 6] ^= 0x40
        XCTAssertThrowsError(try TFRecordReader.records(corrupt))
    }

    func testTensorBoardReaderAcceptsEventFile() throws {
        let python = try ExternalTool.python(importing: "tensorboard")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try TensorBoardWriter(directory: dir, hostName: "testhost")
        try writer.addScalars([("losses/mse_loss", 0.5), ("metrics/l0", 3)], step: 1)
        try writer.addScalars([("losses/mse_loss", 0.25), ("metrics/l0", 4)], step: 2)
        try writer.flush()
        let expected = #"{"losses/mse_loss": [[1, 0.5], [2, 0.25]], "metrics/l0": [[1, 3.0], [2, 4.0]]}"#
        let script = packageRoot.appendingPathComponent("scripts/check_tfevents.py").path
        let result = runProcess(python, [script, dir.path, expected])
        XCTAssertEqual(result.status, 0, "check_tfevents.py: \(result.output)")
    }

    func testMetricsJSONLDropsReplayedStepsOnResume() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("metrics.jsonl")
        func record(_ step: Int) -> TrainingMetrics {
            TrainingMetrics(step: step, tokenCount: step * 10, epoch: 0, wallTime: 1, windowTokenCount: 10,
                            loss: 0.5, mse: 0.25, l1: 25, l0: 3, explainedVariance: 0.9,
                            deadFeatureFraction: 0.1, tokensPerSecond: 100, learningRate: 3e-4)
        }
        let writer = try MetricsJSONLWriter(url: url)
        for step in [10, 20, 30] { try writer.log(record(step)) }
        try writer.flush()
        let resumed = try MetricsJSONLWriter(url: url, keepingStepsUpTo: 20)
        try resumed.log(record(30))
        try resumed.flush()
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let steps = try lines.map { line -> Int in
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(object["losses/mse_loss"] as? Double, 0.25)
            XCTAssertEqual(object["metrics/explained_variance"] as? Double, 0.9)
            return try XCTUnwrap(object["step"] as? Int)
        }
        XCTAssertEqual(steps, [10, 20, 30])
    }

}

/// Parses TFRecord framing back, verifying both masked CRCs.
enum TFRecordReader {
    struct Corrupt: Error { let detail: String }

    static func records(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        func u32(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { throw Corrupt(detail: "truncated header at \(offset)") }
            let lengthBytes = Array(bytes[offset..<(offset + 8)])
            let length = Int(lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            guard u32(offset + 8) == CRC32C.masked(CRC32C.checksum(lengthBytes)) else {
                throw Corrupt(detail: "length CRC at \(offset)")
            }
            let start = offset + 12
            guard start + length + 4 <= bytes.count else { throw Corrupt(detail: "truncated record at \(offset)") }
            let data = Array(bytes[start..<(start + length)])
            guard u32(start + length) == CRC32C.masked(CRC32C.checksum(data)) else {
                throw Corrupt(detail: "data CRC at \(offset)")
            }
            out.append(data)
            offset = start + length + 4
        }
        return out
    }
}

/// A minimal protobuf decoder: field number → values in order.
enum ProtoReader {
    enum Value {
        case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8])
        var varint: UInt64? { if case let .varint(v) = self { return v } else { return nil } }
        var double: Double? { if case let .fixed64(v) = self { return Double(bitPattern: v) } else { return nil } }
        var float: Float? { if case let .fixed32(v) = self { return Float(bitPattern: v) } else { return nil } }
        var bytes: [UInt8]? { if case let .bytes(v) = self { return v } else { return nil } }
    }
    struct Malformed: Error {}

    static func fields(_ bytes: [UInt8]) throws -> [Int: [Value]] {
        var out: [Int: [Value]] = [:]
        var i = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw Malformed() }
                let byte = bytes[i]; i += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }
        func little(_ count: Int) throws -> UInt64 {
            guard i + count <= bytes.count else { throw Malformed() }
            defer { i += count }
            return bytes[i..<(i + count)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        while i < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            let value: Value
            switch key & 7 {
            case 0: value = .varint(try varint())
            case 1: value = .fixed64(try little(8))
            case 5: value = .fixed32(UInt32(try little(4)))
            case 2:
                let length = Int(try varint())
                guard i + length <= bytes.count else { throw Malformed() }
                value = .bytes(Array(bytes[i..<(i + length)]))
                i += length
            default: throw Malformed()
            }
            out[field, default: []].append(value)
        }
        return out
    }
}
