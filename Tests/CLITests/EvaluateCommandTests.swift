import ActStore
import Foundation
import XCTest

/// `saestore evaluate` and `saestore sweep` as a user runs them.
final class EvaluateCommandTests: XCTestCase {
    private let hook = "blocks.2.hook_resid_pre"

    /// Documents of 50 tokens in windows of 10 (positions 0...9), activations with structure.
    private func makeStore(documents: Int = 12, width: Int = 8) throws -> String {
        let path = temporaryPath(self, "evalstore")
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: TokenColumn.all + [ColumnSpec(name: hook, width: width, codec: .f32)], chunkRows: 64,
            hasDocuments: true, model: "synthetic", contextSize: 10, prependBOS: false))
        let values = syntheticActivations(rows: documents * 50, width: width, seed: 3)
        for d in 0..<documents {
            let ids = (0..<50).map { UInt32(($0 * 7 + d) % 23) }
            try writer.append(DocumentRows(
                text: "document \(d)", source: "synthetic", sourceIndex: d, tokenIDs: ids,
                positions: (0..<50).map { UInt32($0 % 10) }, byteStarts: ids.map { _ in 0 }, byteEnds: ids.map { _ in 10 },
                activations: [hook: Array(values[(d * 50 * width)..<((d + 1) * 50 * width)])]))
        }
        try writer.commit()
        return path
    }

    func testEvaluateARunOnItsHeldOutRows() throws {
        let store = try makeStore()
        let run = temporaryPath(self, "run")
        let train = try saestore(["train", "--store", store, "--hook", hook, "--out", run, "--rows", "..400",
                                  "--epochs", "1", "--batch", "32", "--expansion", "2", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let result = try saestore(["evaluate", "--sae", run, "--json", "--top-k", "5"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["firstRow"] as? Int, 400)
        XCTAssertEqual(json["endRow"] as? Int, 600)
        XCTAssertEqual(json["rowSelection"] as? String, "held out")
        let reconstruction = try XCTUnwrap(json["reconstruction"] as? [String: Any])
        XCTAssertNotNil(reconstruction["explainedVariance"] as? Double)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/evaluation.json"))

        let table = try saestore(["evaluate", "--sae", run, "--rows", "0..100", "--out", run + "/again"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("fraction of variance explained"), table.stdout)
        XCTAssertTrue(table.stdout.contains("rows    0..100 (given"), table.stdout)

        let missing = try saestore(["evaluate", "--sae", run, "--hook", "blocks.9.hook_resid_pre"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no column blocks.9.hook_resid_pre"), missing.stderr)
    }

    func testSweepWritesTablePlotAndRuns() throws {
        let store = try makeStore()
        let out = temporaryPath(self, "sweep")
        let sweep = try saestore(["sweep", "--store", store, "--hook", hook, "--out", out, "--l1", "1e-3,1e-2",
                                  "--epochs", "1", "--batch", "32", "--expansion", "2", "--rows", "..400", "--quiet"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        XCTAssertTrue(sweep.stdout.contains("| l1-0.001 |"), sweep.stdout)
        for file in ["sweep.json", "sweep.md", "sweep.svg", "l1-0.01/sae/cfg.json", "l1-0.01/evaluation.json", "l1-0.001/metrics.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        let topk = try saestore(["sweep", "--store", store, "--hook", hook, "--out", out + "2", "--arch", "topk", "--quiet"])
        XCTAssertNotEqual(topk.status, 0)
        XCTAssertTrue(topk.stderr.contains("--k"), topk.stderr)
    }
}
