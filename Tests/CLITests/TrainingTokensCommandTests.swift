import ActStore
import Foundation
import XCTest

/// `saestore training-tokens` and `features --training-tokens` as a user runs them on the demo
/// model: the file from a corpus and from a store, the counts in features' results, and refusals.
final class TrainingTokensCommandTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private let hook = "blocks.2.hook_resid_pre"

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func testCountFromCorpusAndStoreThenLeaveUntrainedTokensOut() throws {
        let model = root.appendingPathComponent("demo/model").path
        let corpus = root.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt").path
        let dir = temporaryPath(self, "training-tokens")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        // From the corpus (40 paragraphs' worth, as one plain-text file of 40 documents).
        let text = try String(contentsOfFile: corpus, encoding: .utf8)
        let paragraphs = text.components(separatedBy: "\n\n").prefix(40)
        let small = dir + "/small.txt"
        try paragraphs.joined(separator: "\n\n").write(toFile: small, atomically: true, encoding: .utf8)
        let fromCorpus = try saestore(["training-tokens", "--model", model, "--corpus", small, "--separator", "\\n\\n",
                                       "--out", dir + "/corpus.json", "--json", "--quiet"])
        XCTAssertEqual(fromCorpus.status, 0, fromCorpus.stderr)
        let corpusSummary = try json(fromCorpus.stdout)
        let tokenized = try saestore(["tokenize", "--model", model] + paragraphs.map { String($0) })
        XCTAssertEqual(tokenized.status, 0, tokenized.stderr)
        let ids = tokenized.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Int($0)! }
        XCTAssertEqual(corpusSummary["tokensCounted"] as? Int, ids.count)
        XCTAssertEqual(corpusSummary["distinctTokens"] as? Int, Set(ids).count)

        // From a store ingested from the same text: BOS rows aside, the same ids.
        let store = dir + "/s.store"
        let ingest = try saestore(["ingest", "--model", model, "--corpus", small, "--separator", "\\n\\n", "--store", store,
                                   "--hook", hook, "--context", "64", "--quiet"])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let fromStore = try saestore(["training-tokens", "--store", store, "--out", dir + "/store.json", "--json", "--quiet"])
        XCTAssertEqual(fromStore.status, 0, fromStore.stderr)
        let a = try json(String(contentsOfFile: dir + "/corpus.json", encoding: .utf8))
        let b = try json(String(contentsOfFile: dir + "/store.json", encoding: .utf8))
        XCTAssertEqual(a["tokenIds"] as? [Int], b["tokenIds"] as? [Int])
        XCTAssertEqual(a["tokenIds"] as? [Int], Set(ids).sorted())

        // features with the corpus file: everything outside those ids is left out and counted.
        let run = dir + "/run"
        let train = try saestore(["train", "--store", store, "--hook", hook, "--out", run, "--expansion", "2", "--epochs", "1",
                                  "--batch-rows", "64", "--holdout", "0", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let out = dir + "/features"
        let scan = try saestore(["features", "--sae", run, "--out", out, "--model", model, "--training-tokens", dir + "/corpus.json",
                                 "--top-examples", "3", "--quantiles", "0", "--no-report", "--quiet"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        let results = try json(String(contentsOfFile: out + "/results.json", encoding: .utf8))
        XCTAssertEqual(results["logitTokensUntrained"] as? Int, 50257 - Set(ids).count)
        XCTAssertTrue((results["trainingTokens"] as? String)?.hasSuffix("corpus.json") ?? false, "\(results)")
        let shown = try saestore(["feature", out, "--id", "0", "--json"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let detail = try json(shown.stdout)
        let allowed = Set(ids)
        for key in ["promotedTokens", "suppressedTokens"] {
            for token in try XCTUnwrap(detail[key] as? [[String: Any]]) {
                XCTAssertTrue(allowed.contains(token["tokenID"] as! Int), "\(key) holds an id absent from the counted text: \(token)")
            }
        }
        XCTAssertTrue((detail["logitTokensLeftOutNote"] as? String)?.contains("never seen in training (corpus.json)") ?? false, "\(detail)")

        // Refusals: both sources, a corpus without a model, --training-tokens without --model.
        let both = try saestore(["training-tokens", "--store", store, "--corpus", small, "--model", model, "--out", dir + "/x.json"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("one of them"), both.stderr)
        let noModel = try saestore(["training-tokens", "--corpus", small, "--out", dir + "/x.json"])
        XCTAssertNotEqual(noModel.status, 0)
        XCTAssertTrue(noModel.stderr.contains("--corpus needs --model"), noModel.stderr)
        let alone = try saestore(["features", "--sae", run, "--out", dir + "/f2", "--training-tokens", dir + "/corpus.json", "--quiet"])
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.stderr.contains("--training-tokens needs --model"), alone.stderr)
    }
}
