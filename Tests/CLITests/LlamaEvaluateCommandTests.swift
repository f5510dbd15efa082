import ActStore
import Foundation
import TensorIO
import XCTest

/// The whole research loop on a Llama directory as a user runs it: `ingest` → `train` (a few
/// steps) → `evaluate --model` → `features --model` → `feature`, on the tiny llama-ingest fixture.
/// The downstream losses are held to transformers' (scripts/fixtures/llama_interventions.py,
/// `cli/*`: the same windows and positions), the logit effects to W_dec · W_Uᵀ recomputed here
/// from the exported SAE and the model's tied embedding.
final class LlamaEvaluateCommandTests: XCTestCase {
    private var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ExtractTests/Fixtures").path
    }

    func testIngestTrainEvaluateFeaturesOnALlamaDirectory() throws {
        let model = fixtures + "/llama-ingest"
        let hook = "blocks.1.hook_resid_pre"
        let (store, run, rowCount) = try ingestAndTrain(self, model: model, hook: hook, name: "llama")
        let features = temporaryPath(self, "llama-features")

        // evaluate --model: CE clean / zero-ablated as transformers computes them on the same windows.
        let evaluate = try saestore(["evaluate", "--sae", run, "--model", model, "--rows", "0..\(rowCount)", "--json", "--quiet"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        let downstream = try XCTUnwrap(json["downstream"] as? [String: Any], evaluate.stdout)
        let expected = try SafetensorsFile(path: fixtures + "/llama-interventions/expected.safetensors")
        let clean = Double(try expected.floats("cli/clean_loss")[0]), zero = Double(try expected.floats("cli/zero_loss")[0])
        let count: Int = try expected.withRawBytes("cli/count") { Int($0.bindMemory(to: Int32.self)[0]) }
        XCTAssertEqual(downstream["predictedTokenCount"] as? Int, count)
        let cleanLoss = try XCTUnwrap(downstream["cleanLoss"] as? Double)
        let zeroLoss = try XCTUnwrap(downstream["zeroAblationLoss"] as? Double)
        XCTAssertEqual(cleanLoss, clean, accuracy: 1e-5 * clean)
        XCTAssertEqual(zeroLoss, zero, accuracy: 1e-5 * zero)
        let saeLoss = try XCTUnwrap(downstream["saeLoss"] as? Double)
        let kl = try XCTUnwrap(downstream["klDivergence"] as? Double)
        XCTAssertTrue(saeLoss.isFinite && saeLoss > 0, "\(saeLoss)")
        XCTAssertGreaterThanOrEqual(kl, 0)
        XCTAssertEqual(try XCTUnwrap(downstream["lossIncrease"] as? Double), saeLoss - cleanLoss, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(downstream["lossRecovered"] as? Double), (zeroLoss - saeLoss) / (zeroLoss - cleanLoss), accuracy: 1e-9)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/evaluation.json"))

        // features --model: logit effects through the tied embedding, token texts from tokenizer.json.
        let scan = try saestore(["features", "--store", store, "--sae", run, "--out", features, "--model", model, "--quiet", "--json"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: features + "/index.html"))
        let sae = try SafetensorsFile(path: run + "/sae/sae_weights.safetensors")
        let decoder = try sae.floats("W_dec")
        let unembedding = try SafetensorsFile(path: model + "/model.safetensors").floats("model.embed_tokens.weight")
        let C = 32
        for id in [0, 5] {
            let feature = try saestore(["feature", features, "--id", "\(id)", "--json"])
            XCTAssertEqual(feature.status, 0, feature.stderr)
            let detail = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(feature.stdout.utf8)) as? [String: Any])
            let promoted = try XCTUnwrap(detail["promotedTokens"] as? [[String: Any]], feature.stdout)
            let suppressed = try XCTUnwrap(detail["suppressedTokens"] as? [[String: Any]], feature.stdout)
            XCTAssertEqual(promoted.count, 10)
            var previous = Double.infinity
            for token in promoted + suppressed {
                let tokenID = try XCTUnwrap(token["tokenID"] as? Int)
                let value = try XCTUnwrap(token["value"] as? Double)
                XCTAssertNotNil(token["text"] as? String, "token \(tokenID) decoded with tokenizer.json")
                var dot: Float = 0
                for c in 0..<C { dot += decoder[id * C + c] * unembedding[tokenID * C + c] }
                XCTAssertEqual(value, Double(dot), accuracy: 1e-4 * max(1, abs(Double(dot))), "feature \(id) token \(tokenID)")
                if promoted.contains(where: { ($0["tokenID"] as? Int) == tokenID }) {
                    XCTAssertLessThanOrEqual(value, previous, "promoted tokens largest first")
                    previous = value
                }
            }
            XCTAssertGreaterThan(try XCTUnwrap(promoted.first?["value"] as? Double), try XCTUnwrap(suppressed.first?["value"] as? Double))
        }
    }

    /// An SAE on a hook the model's family has no site for (hook_resid_mid of a parallel-residual
    /// GPT-NeoX model) is refused by `evaluate --model <neox dir>`, naming the family and the hook.
    /// (Llama has every site since its ln hooks were added.)
    func testEvaluateRefusesAHookTheFamilyLacks() throws {
        let model = fixtures + "/neox-ingest"
        let hook = "blocks.0.hook_resid_mid"
        let store = temporaryPath(self, "neox-mid") + ".store"
        let writer = try StoreWriter.create(at: store, manifest: StoreManifest(
            columns: TokenColumn.all + [ColumnSpec(name: hook, width: 32, codec: .f32)], chunkRows: 64,
            hasDocuments: true, model: "synthetic", contextSize: 10, prependBOS: false))
        let values = syntheticActivations(rows: 4 * 40, width: 32, seed: 5)
        for d in 0..<4 {
            let ids = (0..<40).map { UInt32(($0 * 7 + d) % 700) }
            try writer.append(DocumentRows(
                text: "document \(d)", source: "synthetic", sourceIndex: d, tokenIDs: ids,
                positions: (0..<40).map { UInt32($0 % 10) }, byteStarts: ids.map { _ in 0 }, byteEnds: ids.map { _ in 10 },
                activations: [hook: Array(values[(d * 40 * 32)..<((d + 1) * 40 * 32)])]))
        }
        try writer.commit()
        let run = temporaryPath(self, "neox-mid-run")
        let train = try saestore(["train", "--store", store, "--hook", hook, "--out", run, "--rows", "..120", "--epochs", "1",
                                  "--batch", "16", "--expansion", "2", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let evaluate = try saestore(["evaluate", "--sae", run, "--model", model, "--quiet"])
        XCTAssertNotEqual(evaluate.status, 0)
        XCTAssertTrue(evaluate.stderr.contains("(family gpt_neox) cannot be evaluated at \(hook)"), evaluate.stderr)
    }

    /// `quickstart --model <llama dir>`: ingest, train, scan and report on the Llama family,
    /// hooked at blocks.1.hook_resid_pre (layerCount / 2), the report's logit tokens decoded.
    func testQuickstartRunsOnALlamaDirectory() throws {
        let model = fixtures + "/llama-ingest"
        let out = temporaryPath(self, "llama-quickstart")
        let run = try saestore(["quickstart", "--model", model, "--corpus", model + "/corpus.jsonl", "--out", out,
                                "--budget", "tiny", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("hook blocks.1.hook_resid_pre"), run.stdout)
        for file in ["store/index/data.mdb", "run/sae/cfg.json", "features/index.html", "features/results.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        XCTAssertEqual(try StoreReader(path: out + "/store").manifest.tokenizer, "tokenizer.json")
        let feature = try saestore(["feature", out + "/features", "--id", "0", "--json"])
        XCTAssertEqual(feature.status, 0, feature.stderr)
        let detail = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(feature.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((detail["promotedTokens"] as? [Any])?.count, 10, "logit effects from the Llama unembedding")
    }
}
