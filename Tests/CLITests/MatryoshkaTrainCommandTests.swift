import ActStore
import Foundation
import TensorIO
import XCTest

/// `saestore train --arch matryoshka` as a user runs it: help, the widths in run.json, the
/// inner levels' metric, the SAELens export (as SAELens saves it: "jumprelu" with the
/// inference threshold, training_architecture "matryoshka_batchtopk"), the run read back by
/// `evaluate` and `features`, and the refusals (no widths, data-parallel). Resume equality is
/// SAETrainerTests.testResumeFromCheckpointIsBitwiseIdentical (every architecture).
final class MatryoshkaTrainCommandTests: XCTestCase {
    private let hook = "blocks.0.hook_resid_pre"

    private func makeStore(rows: Int = 1200, width: Int = 16) throws -> String {
        let dir = temporaryPath(self, "matryoshkastore")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let npy = dir + "/acts.npy"
        let writer = try NPYWriter(path: npy, rowCount: rows, width: width)
        try writer.append(rows: syntheticActivations(rows: rows, width: width, seed: 23))
        try writer.finish()
        let store = dir + "/s.store"
        let result = try saestore(["import", store, "--column", hook, npy, "--chunk-rows", "300", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return store
    }

    func testTrainMatryoshkaExportsAndIsReadByEvaluateAndFeatures() throws {
        let help = try saestore(["train", "--help"])
        XCTAssertTrue(help.stdout.contains("matryoshka"), help.stdout)

        let store = try makeStore()
        let out = temporaryPath(self, "matryoshka")
        let common = ["train", "--store", store, "--hook", hook, "--arch", "matryoshka", "--k", "4",
                      "--expansion", "4", "--batch", "64", "--epochs", "2", "--rows", "..1000", "--log-every", "5",
                      "--seed", "5", "--quiet"]
        let missing = try saestore(common + ["--out", temporaryPath(self, "nowidths")])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--matryoshka-widths"), missing.stderr)
        // Widths separated by spaces parse too (this run gets as far as the data-parallel refusal).
        let parallel = try saestore(common + ["--out", temporaryPath(self, "streams"), "--matryoshka-widths", "8", "24",
                                              "--streams", "2"])
        XCTAssertNotEqual(parallel.status, 0)
        XCTAssertTrue(parallel.stderr.contains("one process"), parallel.stderr)

        let trained = try saestore(common + ["--out", out, "--matryoshka-widths", "8,24"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as? [String: Any])
        let sae = try XCTUnwrap(run["sae"] as? [String: Any])
        XCTAssertEqual(sae["architecture"] as? String, "matryoshka")
        XCTAssertEqual(sae["matryoshkaWidths"] as? [Int], [8, 24])
        let cfg = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/sae/cfg.json"))) as? [String: Any])
        XCTAssertEqual(cfg["architecture"] as? String, "jumprelu")
        XCTAssertEqual((cfg["metadata"] as? [String: Any])?["training_architecture"] as? String, "matryoshka_batchtopk")
        let weights = try SafetensorsFile(path: out + "/sae/sae_weights.safetensors")
        XCTAssertEqual(Set(weights.tensors.keys), ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"])
        let threshold = try weights.floats("threshold")
        XCTAssertTrue(threshold.allSatisfy { $0 > 0 && $0 == threshold[0] }, "BatchTopK's one running threshold for every latent")
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        XCTAssertTrue(metrics.contains("inner_mse_loss"), metrics)

        let evaluated = try saestore(["evaluate", "--sae", out, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["firstRow"] as? Int, 1000)
        let reconstruction = try XCTUnwrap(json["reconstruction"] as? [String: Any])
        let explained = try XCTUnwrap(reconstruction["explainedVariance"] as? Double)
        XCTAssertTrue(explained.isFinite && explained > 0, "explained variance \(explained)")

        let features = temporaryPath(self, "features")
        let scan = try saestore(["features", "--sae", out, "--out", features, "--top-examples", "3", "--quantiles", "2", "--json", "--quiet"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["featureCount"] as? Int, 64)
    }
}
