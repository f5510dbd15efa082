import ActStore
import Foundation
import XCTest
@testable import StreamTrain

/// The loader's resident memory is bounded by its buffer and chunks in flight, not by the
/// store: pages of the mmapped segments it has decoded must not stay mapped (they would count
/// in the process's RSS, and in a cgroup's memory, for the whole store).
final class StoreBatchSourceMemoryTests: XCTestCase {
    /// kB of file-backed resident memory of this process (Linux), nil elsewhere.
    private func residentFileKB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("RssFile:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    func testStreamingAnEpochDoesNotKeepTheStoreMapped() throws {
        guard residentFileKB() != nil else { throw XCTSkip("needs /proc/self/status (Linux)") }
        // 32 Ki rows x 256 random f32: about 28 MiB of segments (random mantissas barely compress).
        let path = NSTemporaryDirectory() + "loader-rss-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let rows = 32768, width = 256
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: [ColumnSpec(name: "act", width: width, codec: .f32)], chunkRows: 1024, hasDocuments: false))
        var rng = SeededGenerator(seed: 9)
        var firstQuarter: [Float] = []
        for quarter in 0..<4 {
            let values = (0..<(rows / 4 * width)).map { _ in rng.nextSymmetric(bound: 1) }
            if quarter == 0 { firstQuarter = values }
            try writer.appendRows(["act": values], rowCount: rows / 4)
        }
        try writer.commit()
        let segmentKB = try FileManager.default.contentsOfDirectory(atPath: path + "/segments").reduce(0) {
            $0 + ((try FileManager.default.attributesOfItem(atPath: path + "/segments/" + $1)[.size] as? Int) ?? 0)
        } / 1024
        XCTAssertGreaterThan(segmentKB, 20_000)

        let reader = try StoreReader(path: path)
        let source = try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: "act", shuffleBufferRows: 2048, workerCount: 2))
        var batch = [Float](repeating: 0, count: 512 * width)
        let before = residentFileKB()!
        var served = 0
        while true {
            let n = try source.nextBatch(into: &batch, maxRowCount: 512)
            if n == 0 { break }
            served += n
        }
        let grown = residentFileKB()! - before
        XCTAssertEqual(served, rows)
        // Without releasing decoded chunks, RssFile grows by about segmentKB; with it, by a
        // few chunks (1 MiB each) at most.
        XCTAssertLessThan(grown, segmentKB / 4, "RssFile grew by \(grown) kB over an epoch of a \(segmentKB) kB store")
        // Released chunks read back as they were written.
        var again: [Float] = []
        try reader.readRows(column: "act", rows: 0..<rows / 4, into: &again)
        XCTAssertEqual(again, firstQuarter)
    }
}
