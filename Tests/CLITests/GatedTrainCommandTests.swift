import ActStore
import Foundation
import TensorIO
import XCTest

/// `saestore train --arch gated` as a user runs it: help, run.json, metrics, the SAELens
/// "gated" export, and the run read back by `evaluate` and `features` (SAELoading's import).
/// Resume equality is SAETrainerTests.testResumeFromCheckpointIsBitwiseIdentical (every
/// architecture, gated included).
final class GatedTrainCommandTests: XCTestCase {
    private let hook = "blocks.0.hook_resid_pre"

    private func makeStore(rows: Int = 1200, width: Int = 16) throws -> String {
        let dir = temporaryPath(self, "gatedstore")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let npy = dir + "/acts.npy"
        let writer = try NPYWriter(path: npy, rowCount: rows, width: width)
        try writer.append(rows: syntheticActivations(rows: rows, width: width, seed: 21))
        try writer.finish()
        let store = dir + "/s.store"
        let result = try saestore(["import", store, "--column", hook, npy, "--chunk-rows", "300", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return store
    }

    func testTrainGatedExportsAndIsReadByEvaluateAndFeatures() throws {
        let help = try saestore(["train", "--help"])
        XCTAssertTrue(help.stdout.contains("gated"), help.stdout)

        let store = try makeStore()
        let straight = temporaryPath(self, "gated")
        let trained = try saestore(["train", "--store", store, "--hook", hook, "--out", straight, "--arch", "gated",
                                    "--l1", "0.05", "--expansion", "4", "--batch", "64", "--epochs", "2", "--rows", "..1000",
                                    "--log-every", "5", "--seed", "5", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: straight + "/run.json"))) as? [String: Any])
        let sae = try XCTUnwrap(run["sae"] as? [String: Any])
        XCTAssertEqual(sae["architecture"] as? String, "gated")
        XCTAssertEqual(sae["l1Coefficient"] as? Double, 0.05)
        let cfg = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: straight + "/sae/cfg.json"))) as? [String: Any])
        XCTAssertEqual(cfg["architecture"] as? String, "gated")
        let weights = try SafetensorsFile(path: straight + "/sae/sae_weights.safetensors")
        XCTAssertEqual(Set(weights.tensors.keys), ["W_enc", "W_dec", "b_dec", "b_gate", "b_mag", "r_mag"])
        XCTAssertTrue(try weights.floats("r_mag").contains { $0 != 0 }, "r_mag was trained")
        let metrics = try String(contentsOfFile: straight + "/metrics.jsonl", encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"step\""), metrics)

        let evaluated = try saestore(["evaluate", "--sae", straight, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["firstRow"] as? Int, 1000)
        let reconstruction = try XCTUnwrap(json["reconstruction"] as? [String: Any])
        let explained = try XCTUnwrap(reconstruction["explainedVariance"] as? Double)
        XCTAssertTrue(explained.isFinite, "explained variance \(explained)")

        let features = temporaryPath(self, "features")
        let scan = try saestore(["features", "--sae", straight, "--out", features, "--top-examples", "3", "--quantiles", "2", "--json", "--quiet"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["featureCount"] as? Int, 64)
    }
}
