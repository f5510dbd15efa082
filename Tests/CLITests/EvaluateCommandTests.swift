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
        let result = try saestore(["evaluate", "--sae", run, "--json", "--same-token-examples", "5"])
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

    /// `train` holds out the end of the store by default (recorded in run.json, moved back to
    /// a window start), and `evaluate` and `sweep` use it with no flags; `--holdout 0` holds
    /// nothing out, and evaluate then refuses without --rows.
    func testTrainHoldsOutTheEndAndEvaluateAndSweepUseIt() throws {
        let store = try makeStore(documents: 30)  // 1500 rows, windows of 10
        let run = temporaryPath(self, "run")
        let common = ["--store", store, "--hook", hook, "--epochs", "1", "--batch", "32", "--expansion", "2", "--quiet"]
        let train = try saestore(["train", "--out", run, "--holdout", "5%"] + common)
        XCTAssertEqual(train.status, 0, train.stderr)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json"))) as! [String: Any]
        XCTAssertEqual(config["heldOutRows"] as? [Int], [1420, 1500], "75 rows, moved back to the window start at 1420")
        XCTAssertEqual((config["loader"] as? [String: Any])?["endRow"] as? Int, 1420)
        let evaluation = try saestore(["evaluate", "--sae", run, "--json", "--top-k", "5"])
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        XCTAssertEqual([json["firstRow"] as? Int, json["endRow"] as? Int], [1420, 1500])
        XCTAssertEqual(json["rowSelection"] as? String, "held out")

        let byDefault = temporaryPath(self, "default")
        XCTAssertEqual(try saestore(["train", "--out", byDefault] + common).status, 0)
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: byDefault + "/run.json"))) as! [String: Any]
        XCTAssertEqual(saved["heldOutRows"] as? [Int], [1480, 1500], "1% = 15 rows, moved back to the window start")

        let none = temporaryPath(self, "none")
        XCTAssertEqual(try saestore(["train", "--out", none, "--holdout", "0"] + common).status, 0)
        let refused = try saestore(["evaluate", "--sae", none])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("none are held out") && refused.stderr.contains("--rows"), refused.stderr)

        let bad = try saestore(["train", "--out", temporaryPath(self, "bad"), "--holdout", "1.5"] + common)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--holdout takes"), bad.stderr)

        let sweep = try saestore(["sweep", "--store", store, "--hook", hook, "--out", temporaryPath(self, "sweep"), "--l1", "1e-3",
                                  "--epochs", "1", "--batch", "32", "--expansion", "2", "--quiet", "--json"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        XCTAssertTrue(sweep.stdout.contains("1480"), "the sweep evaluates on the held-out rows: \(sweep.stdout.prefix(400))")
    }
}
