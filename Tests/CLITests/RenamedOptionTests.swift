import ActStore
import Foundation
import XCTest

/// The renamed options (`ingest --max-store-rows`, `train --max-training-tokens`,
/// `features --top-examples`, `evaluate --same-token-examples`): the old spellings still do
/// the same thing, say on stderr which name to use, and giving both names is refused.
final class RenamedOptionTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private let hook = "blocks.2.hook_resid_pre"

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func testOldSpellingsDoWhatTheNewNamesDoAndSaySo() throws {
        let model = root.appendingPathComponent("demo/model").path
        let corpus = root.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt").path
        let dir = temporaryPath(self, "renamed")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        // ingest: the row budget under both spellings gives the same store size.
        var rowCounts: [Int] = []
        for (name, store) in [("--max-store-rows", dir + "/new.store"), ("--max-tokens", dir + "/old.store")] {
            let ingest = try saestore(["ingest", "--model", model, "--corpus", corpus, "--separator", "\\n\\n", "--store", store,
                                       "--hook", hook, "--context", "64", name, "700", "--quiet"])
            XCTAssertEqual(ingest.status, 0, ingest.stderr)
            XCTAssertEqual(ingest.stderr.contains("--max-tokens is now --max-store-rows"), name == "--max-tokens", ingest.stderr)
            rowCounts.append(try StoreReader(path: store).rowCount)
        }
        XCTAssertEqual(rowCounts[0], rowCounts[1])
        XCTAssertGreaterThanOrEqual(rowCounts[0], 700)
        XCTAssertLessThan(rowCounts[0], 700 + 8 * 64, "the budget stops ingest after the batch that reaches it")

        // train: the training-token budget under both spellings stops at the same step.
        let store = dir + "/new.store"
        var steps: [Int] = []
        for (name, run) in [("--max-training-tokens", dir + "/run-new"), ("--max-tokens", dir + "/run-old")] {
            let train = try saestore(["train", "--store", store, "--hook", hook, "--out", run, "--expansion", "2", "--epochs", "3",
                                      "--batch-rows", "64", "--holdout", "0", name, "320", "--json", "--quiet"])
            XCTAssertEqual(train.status, 0, train.stderr)
            XCTAssertEqual(train.stderr.contains("--max-tokens is now --max-training-tokens"), name == "--max-tokens", train.stderr)
            steps.append(try XCTUnwrap(json(train.stdout)["steps"] as? Int, train.stdout))
        }
        XCTAssertEqual(steps, [5, 5], "320 training tokens at 64 rows per step")

        // features: --top-k is --top-examples.
        let run = dir + "/run-new"
        for (name, out) in [("--top-examples", dir + "/f-new"), ("--top-k", dir + "/f-old")] {
            let scan = try saestore(["features", "--sae", run, "--out", out, name, "3", "--quantiles", "0", "--no-report", "--quiet"])
            XCTAssertEqual(scan.status, 0, scan.stderr)
            XCTAssertEqual(scan.stderr.contains("--top-k is now --top-examples"), name == "--top-k", scan.stderr)
        }
        let a = try json(String(contentsOfFile: dir + "/f-new/results.json", encoding: .utf8))
        let b = try json(String(contentsOfFile: dir + "/f-old/results.json", encoding: .utf8))
        XCTAssertEqual((a["config"] as? [String: Any])?["topK"] as? Int, 3, "\(a.keys.sorted())")
        XCTAssertEqual((b["config"] as? [String: Any])?["topK"] as? Int, 3)

        // Both spellings at once: refused, naming both.
        let both = try saestore(["features", "--sae", run, "--out", dir + "/f-both", "--top-examples", "3", "--top-k", "4", "--quiet"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("--top-examples and --top-k are the same option"), both.stderr)
        let evaluate = try saestore(["evaluate", "--sae", run, "--store", store, "--same-token-examples", "3", "--top-k", "3", "--json"])
        XCTAssertNotEqual(evaluate.status, 0)
        XCTAssertTrue(evaluate.stderr.contains("--same-token-examples and --top-k are the same option"), evaluate.stderr)
    }
}
