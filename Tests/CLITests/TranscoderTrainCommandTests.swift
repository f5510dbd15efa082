import Foundation
import TensorIO
import XCTest

/// `saestore train --arch transcoder` on the demo model as a user runs it: ingest both hooks of
/// layer 2's MLP, train a transcoder and a skip transcoder for a few steps, check the SAELens
/// export, and load it with the real sae_lens when a Python with torch and sae-lens is found
/// ($SAESTORE_PYTHON, else python3). CI has no torch: that part skips there, and the dev
/// session's check is in docs/SAE.md ("Transcoders").
final class TranscoderTrainCommandTests: XCTestCase {
    private let input = "blocks.2.ln2.hook_normalized", target = "blocks.2.hook_mlp_out"

    private func python() -> String? {
        let candidate = ProcessInfo.processInfo.environment["SAESTORE_PYTHON"] ?? "/usr/bin/env"
        let arguments = candidate == "/usr/bin/env" ? ["python3", "-c", "import torch, sae_lens"] : ["-c", "import torch, sae_lens"]
        guard let result = try? runProcess(candidate, arguments), result.status == 0 else { return nil }
        return candidate
    }

    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testIngestTrainExportOnTheDemoModel() throws {
        _ = try ingestTrainExport()
    }

    /// The exports load in the real sae_lens as Transcoder / SkipTranscoder (needs torch: runs
    /// in a dev session with $SAESTORE_PYTHON; CI has no torch, so only this part skips there).
    func testExportsLoadInTheRealSAELens() throws {
        guard let python = python() else { throw XCTSkip("no Python with torch and sae-lens (CI has none); set SAESTORE_PYTHON") }
        let exports = try ingestTrainExport()
        let script = root.appendingPathComponent("scripts/fixtures/transcoder_saelens_load.py").path
        let arguments = python == "/usr/bin/env" ? ["python3", script] + exports : [script] + exports
        let loaded = try runProcess(python, arguments)
        XCTAssertEqual(loaded.status, 0, loaded.stdout + loaded.stderr)
        XCTAssertTrue(loaded.stdout.contains("SkipTranscoder"), loaded.stdout)
    }

    /// Ingests both hooks, trains and checks the exports; returns the two SAELens export directories.
    private func ingestTrainExport() throws -> [String] {
        let dir = temporaryPath(self, "transcoder")
        let store = dir + "/s.store"
        let ingested = try saestore(["ingest", "--model", root.appendingPathComponent("demo/model").path,
                                     "--corpus", root.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt").path,
                                     "--store", store, "--hook", input, "--hook", target, "--quiet"])
        XCTAssertEqual(ingested.status, 0, ingested.stderr)

        var exports: [String] = []
        for arch in ["transcoder", "skip_transcoder"] {
            let out = dir + "/" + arch
            let trained = try saestore(["train", "--store", store, "--hook", input, "--target-hook", target, "--arch", arch,
                                        "--out", out, "--expansion", "4", "--batch", "256", "--max-steps", "30",
                                        "--log-every", "10", "--json", "--quiet"])
            XCTAssertEqual(trained.status, 0, trained.stderr)
            let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(trained.stdout.utf8)) as? [String: Any])
            let fve = try XCTUnwrap(summary["explainedVariance"] as? Double)
            XCTAssertTrue(fve.isFinite && fve > 0, "\(arch): FVE of \(target) \(fve)")
            let cfg = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/sae/cfg.json"))) as? [String: Any])
            XCTAssertEqual(cfg["architecture"] as? String, arch)
            XCTAssertEqual(cfg["d_in"] as? Int, 128)
            XCTAssertEqual(cfg["d_out"] as? Int, 128)
            XCTAssertEqual((cfg["metadata"] as? [String: Any])?["hook_name"] as? String, input)
            XCTAssertEqual((cfg["metadata"] as? [String: Any])?["hook_name_out"] as? String, target)
            let weights = try SafetensorsFile(path: out + "/sae/sae_weights.safetensors")
            XCTAssertEqual(weights.tensors.keys.contains("W_skip"), arch == "skip_transcoder")
            exports.append(out + "/sae")
        }
        // A TopK transcoder trains; SAELens has no format for it, so it is not exported.
        let topk = try saestore(["train", "--store", store, "--hook", input, "--target-hook", target, "--arch", "transcoder",
                                 "--transcoder-activation", "topk", "--k", "8", "--out", dir + "/topk", "--expansion", "4",
                                 "--batch", "256", "--max-steps", "10", "--quiet"])
        XCTAssertEqual(topk.status, 0, topk.stderr)
        XCTAssertTrue(topk.stdout.contains("no TopK transcoder"), topk.stdout)
        // Mismatched columns are refused naming both.
        let bad = try saestore(["train", "--store", store, "--hook", input, "--target-hook", "token_id", "--arch", "transcoder",
                                "--out", dir + "/bad", "--max-steps", "1", "--quiet"])
        XCTAssertNotEqual(bad.status, 0)
        // evaluate does not read transcoders yet, and says so.
        let evaluated = try saestore(["evaluate", "--sae", dir + "/transcoder"])
        XCTAssertNotEqual(evaluated.status, 0)
        XCTAssertTrue(evaluated.stderr.contains("transcoder"), evaluated.stderr)

        return exports
    }
}
