import ActStore
import Foundation
import XCTest

/// The research loop a user runs, on the tiny GPT-NeoX and Gemma 2 models of the ingest
/// fixtures (scripts/fixtures/neox_ingest.py, gemma2_ingest.py): `ingest` → `train` (a few
/// steps) → `evaluate --model` (CE and KL through the family's splice) → `features --model` →
/// `feature`, whose examples must resolve to the documents' text; and `quickstart --model`.
/// LlamaEvaluateCommandTests holds the same loop on Llama to transformers' numbers.
final class FamilyResearchLoopCommandTests: XCTestCase {
    private var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ExtractTests/Fixtures").path
    }

    func testNeoXIngestTrainEvaluateFeatures() throws { try researchLoop(fixture: "neox-ingest") }

    func testGemma2IngestTrainEvaluateFeatures() throws { try researchLoop(fixture: "gemma2-ingest") }

    func testQuickstartOnNeoXAndGemma2() throws {
        for fixture in ["neox-ingest", "gemma2-ingest"] {
            let model = fixtures + "/" + fixture
            let out = temporaryPath(self, "\(fixture)-quickstart")
            let run = try saestore(["quickstart", "--model", model, "--corpus", model + "/corpus.jsonl", "--out", out,
                                    "--budget", "tiny", "--quiet"])
            XCTAssertEqual(run.status, 0, "\(fixture): \(run.stderr)")
            XCTAssertTrue(run.stdout.contains("hook blocks.1.hook_resid_pre"), "\(fixture): \(run.stdout)")
            XCTAssertEqual(try StoreReader(path: out + "/store").manifest.tokenizer, "tokenizer.json", fixture)
            let feature = try saestore(["feature", out + "/features", "--id", "0", "--json"])
            XCTAssertEqual(feature.status, 0, "\(fixture): \(feature.stderr)")
            let detail = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(feature.stdout.utf8)) as? [String: Any])
            XCTAssertEqual((detail["promotedTokens"] as? [Any])?.count, 10, "\(fixture): logit effects from the family's unembedding")
        }
    }

    private func researchLoop(fixture: String) throws {
        let model = fixtures + "/" + fixture
        let hook = "blocks.1.hook_resid_pre"
        let (store, run, rowCount) = try ingestAndTrain(self, model: model, hook: hook, name: fixture)
        XCTAssertEqual(try StoreReader(path: store).manifest.tokenizer, "tokenizer.json")
        let features = temporaryPath(self, "\(fixture)-features")

        // evaluate --model: the family's splice runs the clean, SAE and zero-ablated passes.
        let evaluate = try saestore(["evaluate", "--sae", run, "--model", model, "--rows", "0..\(rowCount)", "--json", "--quiet"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        let downstream = try XCTUnwrap(json["downstream"] as? [String: Any], evaluate.stdout)
        let cleanLoss = try XCTUnwrap(downstream["cleanLoss"] as? Double)
        let zeroLoss = try XCTUnwrap(downstream["zeroAblationLoss"] as? Double)
        let saeLoss = try XCTUnwrap(downstream["saeLoss"] as? Double)
        XCTAssertGreaterThan(try XCTUnwrap(downstream["predictedTokenCount"] as? Int), 0)
        // A random model over a ~1000-token vocabulary predicts about ln V ≈ 7 nats per token.
        for loss in [cleanLoss, zeroLoss, saeLoss] { XCTAssertTrue(loss.isFinite && loss > 1 && loss < 20, "\(fixture): \(downstream)") }
        XCTAssertNotEqual(cleanLoss, zeroLoss, "\(fixture): zeroing \(hook) must change the loss")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(downstream["klDivergence"] as? Double), 0)
        XCTAssertEqual(try XCTUnwrap(downstream["lossRecovered"] as? Double), (zeroLoss - saeLoss) / (zeroLoss - cleanLoss), accuracy: 1e-9)

        // features --model: examples resolve row → document → text.
        let scan = try saestore(["features", "--store", store, "--sae", run, "--out", features, "--model", model, "--quiet", "--json"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: features + "/index.html"))
        let corpus = try String(contentsOfFile: model + "/corpus.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["text"] as! String
        }
        let live = try FileManager.default.contentsOfDirectory(atPath: features + "/features").sorted().prefix(3)
        XCTAssertFalse(live.isEmpty, "\(fixture): no live feature")
        for page in live {
            let id = String(page.dropLast(".html".count))
            let shown = try saestore(["feature", features, "--id", id, "--json"])
            XCTAssertEqual(shown.status, 0, shown.stderr)
            let detail = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
            let examples = try XCTUnwrap(detail["topExamples"] as? [[String: Any]], shown.stdout)
            XCTAssertFalse(examples.isEmpty, "\(fixture) feature \(id)")
            XCTAssertNotNil(detail["promotedTokens"] as? [Any], "\(fixture) feature \(id): logit effects")
            for example in examples {
                XCTAssertNotNil(example["document"] as? Int, "\(fixture) feature \(id): \(example)")
                let document = try XCTUnwrap(example["sourceIndex"] as? Int, "\(fixture) feature \(id): \(example)")
                let tokens = try XCTUnwrap(example["tokens"] as? [[String: Any]])
                let window = tokens.compactMap { $0["text"] as? String }.joined()
                XCTAssertFalse(window.isEmpty, "\(fixture) feature \(id): an example without text")
                // The window is a piece of its document's text (BOS rows add none); a token that
                // splits a character shows U+FFFD, which the document does not hold.
                if window.contains("\u{FFFD}") { continue }
                XCTAssertTrue(corpus[document].contains(window), "\(fixture) feature \(id): \(window.debugDescription) not in document \(document)")
            }
        }
    }
}
