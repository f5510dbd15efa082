import ActStore
import Foundation
import XCTest
@testable import StreamTrain

/// `--min-position` and `--rows` are evaluated one chunk at a time: opening a loader on a store
/// whose whole `pos` column (as the [UInt64] it used to be read into) would be 32 MiB grows the
/// process's peak resident memory by far less than that.
final class RowFilterMemoryTests: XCTestCase {
    /// VmHWM and VmRSS of this process in kB (Linux).
    private func memoryKB() -> (peak: Int, resident: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
        }
        guard let peak = field("VmHWM:"), let resident = field("VmRSS:") else { return nil }
        return (peak, resident)
    }

    /// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    private func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        handle.write(Data("5".utf8))
        return true
    }

    func testPositionFilterCountsPerChunkNotPerColumn() throws {
        guard memoryKB() != nil, resetPeak() else {
            // CI runs on Linux: there a missing /proc is a failure, not a skip.
            if ProcessInfo.processInfo.environment["CI"] == "true" { return XCTFail("needs Linux's /proc/self/status and /proc/self/clear_refs") }
            throw XCTSkip("needs Linux's /proc/self/status and /proc/self/clear_refs")
        }
        // 4 Mi rows in 64 documents of 65 536 tokens, positions 0..<128 repeating, width 1.
        let path = NSTemporaryDirectory() + "filter-mem-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let tokens = 65536, docCount = 64
        let columns = TokenColumn.all + [ColumnSpec(name: "act", width: 1, codec: .f16)]
        do {
            let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: columns, chunkRows: 8192, hasDocuments: true))
            let text = String(repeating: "x", count: tokens)
            let positions = (0..<tokens).map { UInt32($0 % 128) }
            let spans = (0..<tokens).map { UInt32($0) }
            for doc in 0..<docCount {
                try writer.append(DocumentRows(text: text, source: "s", sourceIndex: doc, tokenIDs: .init(repeating: 1, count: tokens),
                                               positions: positions, byteStarts: spans, byteEnds: spans.map { $0 + 1 },
                                               activations: ["act": positions.map { Float($0) }]))
                if doc % 16 == 15 { try writer.commit() }
            }
            try writer.commit()
        }
        let rowCount = tokens * docCount
        let wholeColumnKB = rowCount * 8 / 1024  // 32 768 kB
        let reader = try StoreReader(path: path)
        XCTAssertEqual(reader.rowCount, rowCount)

        XCTAssertTrue(resetPeak())
        let before = try XCTUnwrap(memoryKB())
        let config = StreamLoaderConfig(column: "act", firstRow: 5, endRow: rowCount - 3, shuffleBufferRows: 1024, minimumPosition: 1)
        let source = try StoreBatchSource(reader: reader, config: config)
        let after = try XCTUnwrap(memoryKB())
        let grownKB = after.peak - before.resident
        // Rows 5..<rowCount-3 without position 0: every 128th row is a BOS (row 0 is before 5).
        XCTAssertEqual(source.rowsPerEpoch, (rowCount - 8) - (rowCount / 128 - 1))
        XCTAssertLessThan(grownKB, wholeColumnKB / 4, "peak RSS grew by \(grownKB) kB opening a loader on \(rowCount) rows")
    }
}
