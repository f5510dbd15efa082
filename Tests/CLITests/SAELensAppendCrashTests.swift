import ActStore
import Foundation
import XCTest

/// `import --append --saelens-cache` killed midway leaves the store of documents exactly as it
/// was: the crash-writer child (Tests/CrashWriter/SAELensAppendMode.swift) runs the same
/// `SAELensCacheImporter.appendCache` the CLI does and SIGKILLs itself after the first
/// sequence's document and rows are in the segment, and with every byte synced just before the
/// index transaction. After each kill the store reads as before (rows, tokens, texts, chunk
/// checksums), verify passes, and a rerun completes the append into what one import of the
/// whole cache gives; appending the same shard again is refused.
final class SAELensAppendCrashTests: XCTestCase {
    /// What a reader sees of a store: rows, documents, every column's values, chunk checksums, texts.
    private struct Visible: Equatable {
        var rows = 0, documents = 0
        var columns: [String: [UInt32]] = [:]
        var checksums: [String: [UInt32]] = [:]
        var texts: [String?] = []

        init(_ path: String) throws {
            let reader = try StoreReader(path: path)
            rows = reader.rowCount
            documents = reader.documentCount
            for spec in reader.columns {
                if spec.codec.isFloat {
                    var values: [Float] = []
                    try reader.readRows(column: spec.name, rows: 0..<rows, into: &values)
                    columns[spec.name] = values.map(\.bitPattern)
                } else {
                    columns[spec.name] = try reader.readIntegers(column: spec.name, rows: 0..<rows).map { UInt32(truncatingIfNeeded: $0) }
                }
                checksums[spec.name] = try reader.chunkRecords(column: spec.name).map { UInt32(truncatingIfNeeded: $0.checksum) }
            }
            texts = try (0..<documents).map { try reader.text(ofDocument: $0) }
        }
    }

    private func crashWriter(_ arguments: [String]) throws -> Process {
        let path = URL(fileURLWithPath: try saestoreExecutable()).deletingLastPathComponent().appendingPathComponent("crash-writer").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("crash-writer not built at \(path) (run `swift build --build-tests`)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["saelens-append"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process
    }

    func testKilledSAELensAppendLeavesTheStoreAsBeforeAndARerunCompletesIt() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let cache = repo.appendingPathComponent("python/tests/fixtures/saelens-cache").path
        let model = repo.appendingPathComponent("demo/model").path
        let dir = temporaryPath(self, "saelens-append-crash")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = dir + "/parts", whole = dir + "/whole"
        for (target, source) in [(store, cache + "/data-00000-of-00002.arrow"), (whole, cache)] {
            let result = try saestore(["import", target, "--saelens-cache", source, "--model", model, "--dtype", "f16",
                                       "--chunk-rows", "64", "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let before = try Visible(store)
        XCTAssertEqual(before.rows, 96)
        let second = cache + "/data-00001-of-00002.arrow"

        for killAt in ["sequences:1", "sequences:2", "commit"] {
            let child = try crashWriter([store, killAt, second, model])
            XCTAssertEqual(child.terminationReason, .uncaughtSignal, "\(killAt): the child was to die by SIGKILL")
            XCTAssertEqual(child.terminationStatus, SIGKILL, killAt)
            XCTAssertEqual(try Visible(store), before, "\(killAt): the store reads exactly as before the append")
            let verify = try saestore(["verify", store, "--quiet"])
            XCTAssertEqual(verify.status, 0, "\(killAt): \(verify.stdout) \(verify.stderr)")
        }

        let rerun = try crashWriter([store, "never", second, model])
        XCTAssertEqual(rerun.terminationReason, .exit)
        XCTAssertEqual(rerun.terminationStatus, 0, "the rerun completes the append")
        let after = try Visible(store), expected = try Visible(whole)
        XCTAssertEqual(after.rows, 192)
        XCTAssertEqual(after.columns, expected.columns, "rows and token metadata as one import of the whole cache")
        XCTAssertEqual(after.checksums, expected.checksums, "the same chunks")
        XCTAssertEqual(after.texts, expected.texts)
        XCTAssertEqual(try saestore(["verify", store, "--quiet"]).status, 0)
        XCTAssertEqual(try crashWriter([store, "never", second, model]).terminationStatus, 4, "a second append of the shard is refused")
    }
}
