import ActStore
import Foundation
import TensorIO
import XCTest

/// `saestore import STORE --append`: parts of a cache made elsewhere come in part by part and
/// read as one import of the whole, byte for byte; bad parts are refused with the file named
/// and the store left as it was.
final class ImportAppendCommandTests: XCTestCase {
    private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func writeNPY(_ path: String, _ values: [Float], width: Int) throws {
        let writer = try NPYWriter(path: path, rowCount: values.count / width, width: width, dtype: .f32)
        try writer.append(rows: values)
        try writer.finish()
    }

    private func exported(_ store: String, _ column: String, _ dir: String) throws -> Data {
        let out = dir + "/export-\(UUID().uuidString.prefix(6)).npy"
        let result = try saestore(["export", store, "--column", column, "--out", out, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    func testNpyPartsAppendedByTheCLIAreOneImportOfTheWholeByteForByte() throws {
        let dir = temporaryPath(self, "append-npy")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let width = 16
        let values = syntheticActivations(rows: 900, width: width, seed: 3)
        try writeNPY(dir + "/whole.npy", values, width: width)
        let cuts = [0, 250, 600, 900]
        for k in 0..<3 { try writeNPY(dir + "/part-\(k).npy", Array(values[cuts[k] * width..<cuts[k + 1] * width]), width: width) }
        let hook = "blocks.0.hook_resid_pre"
        let single = dir + "/single", parts = dir + "/parts"
        XCTAssertEqual(try saestore(["import", single, "--column", hook, dir + "/whole.npy", "--chunk-rows", "64", "--quiet"]).status, 0)
        XCTAssertEqual(try saestore(["import", parts, "--column", hook, dir + "/part-0.npy", "--chunk-rows", "64", "--quiet"]).status, 0)
        let second = try saestore(["import", parts, "--append", "--column", hook, dir + "/part-1.npy", "--quiet"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("rows 250..<600"), second.stdout)
        let third = try saestore(["import", parts, "--append", "--column", hook, dir + "/part-2.npy", "--json"])
        XCTAssertEqual(third.status, 0, third.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(third.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["storeRowCount"] as? Int, 900)
        XCTAssertEqual(json?["continuedLastChunk"] as? Bool, true)

        XCTAssertEqual(try exported(parts, hook, dir), try exported(single, hook, dir))
        let a = try StoreReader(path: parts).chunkRecords(column: hook), b = try StoreReader(path: single).chunkRecords(column: hook)
        XCTAssertEqual(a.map(\.checksum), b.map(\.checksum), "the same chunks, compressed bytes and all")
        XCTAssertEqual(a.map(\.rowCount), b.map(\.rowCount))
        let verify = try saestore(["verify", parts, "--quiet"])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    func testBadPartsAreRefusedNamingTheFileAndTheStoreStaysAsItWas() throws {
        let dir = temporaryPath(self, "append-bad")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let hook = "blocks.0.hook_resid_pre"
        try writeNPY(dir + "/part-0.npy", syntheticActivations(rows: 100, width: 16, seed: 1), width: 16)
        try writeNPY(dir + "/narrow.npy", syntheticActivations(rows: 100, width: 8, seed: 2), width: 8)
        let store = dir + "/store"
        XCTAssertEqual(try saestore(["import", store, "--column", hook, dir + "/part-0.npy", "--dtype", "f16", "--chunk-rows", "64", "--quiet"]).status, 0)
        let before = try exported(store, hook, dir)

        let narrow = try saestore(["import", store, "--append", "--column", hook, dir + "/narrow.npy", "--quiet"])
        XCTAssertNotEqual(narrow.status, 0)
        XCTAssertTrue(narrow.stderr.contains(dir + "/narrow.npy") && narrow.stderr.contains("expected width 16"), narrow.stderr)
        let dtype = try saestore(["import", store, "--append", "--column", hook, dir + "/narrow.npy", "--dtype", "bf16", "--quiet"])
        XCTAssertNotEqual(dtype.status, 0)
        let again = try saestore(["import", store, "--append", "--column", hook, dir + "/part-0.npy", "--quiet"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("is already in") && again.stderr.contains("rows 0..<100"), again.stderr)
        let demoModel = repo.appendingPathComponent("demo/model").path
        let cache = repo.appendingPathComponent("python/tests/fixtures/saelens-cache").path
        let wrongKind = try saestore(["import", store, "--append", "--saelens-cache", cache, "--model", demoModel, "--quiet"])
        XCTAssertNotEqual(wrongKind.status, 0)
        XCTAssertTrue(wrongKind.stderr.contains("bare rows without text"), wrongKind.stderr)

        XCTAssertEqual(try exported(store, hook, dir), before)
        XCTAssertEqual(try StoreReader(path: store).rowCount, 100)
        XCTAssertEqual(try saestore(["verify", store, "--quiet"]).status, 0)
    }

    /// The SAELens cache fixture (python/tests/fixtures/saelens-cache: SAELens's own shard
    /// writer, 2 shards of 3 sequences of 32 tokens) brought in shard by shard reads as the
    /// import of the whole cache: activations bit for bit, token metadata, documents' rows,
    /// texts, and chunks. Only each document's source differs (its shard, not the directory).
    func testSAELensCacheShardsAppendedOneByOneAreTheWholeCacheImported() throws {
        let dir = temporaryPath(self, "append-saelens")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let cache = repo.appendingPathComponent("python/tests/fixtures/saelens-cache").path
        let model = repo.appendingPathComponent("demo/model").path
        let whole = dir + "/whole", parts = dir + "/parts"
        for args in [["import", whole, "--saelens-cache", cache], ["import", parts, "--saelens-cache", cache + "/data-00000-of-00002.arrow"]] {
            let result = try saestore(args + ["--model", model, "--dtype", "f16", "--chunk-rows", "64", "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        // The model comes from the store, which remembers its first part's.
        let appended = try saestore(["import", parts, "--append", "--saelens-cache", cache + "/data-00001-of-00002.arrow", "--quiet"])
        XCTAssertEqual(appended.status, 0, appended.stderr)

        let a = try StoreReader(path: parts), b = try StoreReader(path: whole)
        XCTAssertEqual(a.rowCount, 192)
        XCTAssertEqual(a.rowCount, b.rowCount)
        XCTAssertEqual(a.documentCount, 6)
        XCTAssertEqual(a.columns, b.columns)
        for spec in a.columns {
            if spec.codec.isFloat {
                var x: [Float] = [], y: [Float] = []
                try a.readRows(column: spec.name, rows: 0..<a.rowCount, into: &x)
                try b.readRows(column: spec.name, rows: 0..<b.rowCount, into: &y)
                XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern), spec.name)
            } else {
                XCTAssertEqual(try a.readIntegers(column: spec.name, rows: 0..<a.rowCount), try b.readIntegers(column: spec.name, rows: 0..<b.rowCount), spec.name)
            }
            XCTAssertEqual(try a.chunkRecords(column: spec.name).map(\.checksum), try b.chunkRecords(column: spec.name).map(\.checksum), spec.name)
        }
        for doc in 0..<6 {
            XCTAssertEqual(try a.document(doc).rows, try b.document(doc).rows)
            XCTAssertEqual(try a.text(ofDocument: doc), try b.text(ofDocument: doc))
            XCTAssertEqual(try a.document(doc).sourceIndex, doc % 3, "its sequence number in its shard")
        }
        XCTAssertEqual(try saestore(["verify", parts, "--quiet"]).status, 0)

        // A --model other than the store's must hold the same tokenizer files: a copy does, an
        // edited vocabulary does not (and is refused before anything is written).
        let copy = dir + "/model-copy", edited = dir + "/model-edited"
        for target in [copy, edited] { try FileManager.default.copyItem(atPath: model, toPath: target) }
        let vocab = try String(contentsOfFile: edited + "/vocab.json", encoding: .utf8)
        try vocab.replacingOccurrences(of: "\"the\"", with: "\"THE\"").write(toFile: edited + "/vocab.json", atomically: true, encoding: .utf8)
        let wrongModel = try saestore(["import", parts, "--append", "--saelens-cache", cache + "/data-00001-of-00002.arrow",
                                       "--model", edited, "--quiet"])
        XCTAssertNotEqual(wrongModel.status, 0)
        XCTAssertTrue(wrongModel.stderr.contains("is not the model") && wrongModel.stderr.contains("vocab.json differs"), wrongModel.stderr)
        XCTAssertEqual(try StoreReader(path: parts).rowCount, 192)
        let sameModel = try saestore(["import", parts, "--append", "--saelens-cache", cache + "/data-00001-of-00002.arrow",
                                      "--model", copy, "--quiet"])
        XCTAssertTrue(sameModel.stderr.contains("is already in"), "the copy passes the model check and meets the duplicate check: \(sameModel.stderr)")

        let twice = try saestore(["import", parts, "--append", "--saelens-cache", cache + "/data-00001-of-00002.arrow", "--quiet"])
        XCTAssertNotEqual(twice.status, 0)
        XCTAssertTrue(twice.stderr.contains("is already in") && twice.stderr.contains("rows 96..<192"), twice.stderr)
        XCTAssertEqual(try StoreReader(path: parts).rowCount, 192)
    }
}
