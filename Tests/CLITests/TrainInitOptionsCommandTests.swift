import ActStore
import Foundation
import TensorIO
import XCTest

/// `saestore train --resample-every` (dead-latent resampling) and `--b-dec-init` as a user
/// passes them: saved in run.json, recorded in the checkpoint's trainer state, refused where
/// they do not apply. The maths is StreamTrainTests' ResamplingTests and GeometricMedianTests.
final class TrainInitOptionsCommandTests: XCTestCase {
    private let hook = "blocks.0.hook_resid_pre"

    func testResamplingAndDecoderBiasInitReachTheRun() throws {
        let dir = temporaryPath(self, "initstore")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let npy = dir + "/acts.npy"
        let writer = try NPYWriter(path: npy, rowCount: 1200, width: 16)
        try writer.append(rows: syntheticActivations(rows: 1200, width: 16, seed: 29))
        try writer.finish()
        let store = dir + "/s.store"
        let imported = try saestore(["import", store, "--column", hook, npy, "--chunk-rows", "300", "--quiet"])
        XCTAssertEqual(imported.status, 0, imported.stderr)

        let common = ["train", "--store", store, "--hook", hook, "--expansion", "4", "--batch", "64", "--epochs", "2",
                      "--rows", "..1000", "--seed", "3", "--quiet"]
        let topk = try saestore(common + ["--out", temporaryPath(self, "topk"), "--arch", "topk", "--k", "4", "--resample-every", "5"])
        XCTAssertNotEqual(topk.status, 0)
        XCTAssertTrue(topk.stderr.contains("--resample-every applies to"), topk.stderr)
        let badInit = try saestore(common + ["--out", temporaryPath(self, "bad"), "--b-dec-init", "median"])
        XCTAssertNotEqual(badInit.status, 0)
        XCTAssertTrue(badInit.stderr.contains("--b-dec-init must be"), badInit.stderr)

        let out = temporaryPath(self, "resample")
        let trained = try saestore(common + ["--out", out, "--arch", "standard", "--l1", "1", "--lr", "0.05", "--resample-every", "5",
                                             "--dead-window-tokens", "128", "--b-dec-init", "geometric-median",
                                             "--b-dec-init-rows", "500"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as? [String: Any])
        let sae = try XCTUnwrap(run["sae"] as? [String: Any])
        XCTAssertEqual(sae["resampleEverySteps"] as? Int, 5)
        XCTAssertEqual(sae["bDecInit"] as? String, "geometric_median")
        XCTAssertEqual(sae["bDecInitRowCount"] as? Int, 500)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: out + "/checkpoints").filter { $0.hasPrefix("step-") }
        let last = try XCTUnwrap(checkpoints.sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }.last)
        let trainer = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/checkpoints/\(last)/trainer.json"))) as? [String: Any])
        let state = try XCTUnwrap(trainer["state"] as? [String: Any])
        XCTAssertEqual(state["decoderBiasInitialized"] as? Bool, true)
        XCTAssertNotNil(state["resampledLatentCount"] as? Int, "λ 1 at lr 0.05 kills latents for the resampler: \(state.keys.sorted())")
    }
}
