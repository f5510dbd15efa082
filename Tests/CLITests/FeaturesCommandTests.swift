import ActStore
import Foundation
import TensorIO
import XCTest

/// `saestore features` and `saestore feature` as a user runs them: a train run in, results
/// and a report out, one feature shown from the stored results, and clear refusals.
final class FeaturesCommandTests: XCTestCase {
    private func importStore(_ name: String, rows: Int, width: Int, seed: UInt64) throws -> String {
        let dir = temporaryPath(self, name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let npy = dir + "/acts.npy"
        let writer = try NPYWriter(path: npy, rowCount: rows, width: width)
        try writer.append(rows: syntheticActivations(rows: rows, width: width, seed: seed))
        try writer.finish()
        let store = dir + "/s.store"
        let result = try saestore(["import", store, "--column", "blocks.0.hook_resid_pre", npy, "--chunk-rows", "300", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return store
    }

    func testScanATrainRunThenShowAFeature() throws {
        let store = try importStore("a", rows: 2000, width: 16, seed: 4)
        let run = temporaryPath(self, "run")
        let train = try saestore(["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", run, "--epochs", "2",
                                  "--batch", "128", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)

        // --sae RUN: the store and hook come from RUN/run.json.
        let out = temporaryPath(self, "features")
        let scan = try saestore(["features", "--sae", run, "--out", out, "--top-examples", "5", "--quantiles", "3", "--json", "--quiet"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["rowsScanned"] as? Int, 2000)
        XCTAssertEqual(summary["featureCount"] as? Int, 128)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/index.html"))

        let live = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: out + "/features").first)
        let id = String(live.dropLast(".html".count))
        let shown = try saestore(["feature", out, "--id", id, "--json"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let detail = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(detail["feature"] as? Int, Int(id))
        XCTAssertEqual((detail["topExamples"] as? [Any])?.count, min(5, detail["fireCount"] as? Int ?? 0))
        // The windows are stored (results.examples); a wider window than stored is resolved
        // from the store and SAE instead, with the same examples.
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/results.examples"))
        let wider = try saestore(["feature", out, "--id", id, "--json", "--window", "13"])
        XCTAssertEqual(wider.status, 0, wider.stderr)
        XCTAssertEqual(wider.stdout, shown.stdout, "bare rows have no window, so both ways print the same")
        let text = try saestore(["feature", out, "--id", id])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("feature \(id)") && text.stdout.contains("bare row"), text.stdout)

        // Results shown against another store, and an SAE of another width, are refused.
        let other = try importStore("b", rows: 2000, width: 16, seed: 5)
        let foreign = try saestore(["feature", out, "--id", id, "--store", other])
        XCTAssertNotEqual(foreign.status, 0)
        XCTAssertTrue(foreign.stderr.contains("rerun `saestore features`"), foreign.stderr)
        let wide = try importStore("c", rows: 500, width: 24, seed: 6)
        let mismatch = try saestore(["features", "--store", wide, "--sae", run, "--out", temporaryPath(self, "x"), "--quiet"])
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.stderr.contains("d_in 16") && mismatch.stderr.contains("24 wide"), mismatch.stderr)
        let missing = try saestore(["features", "--store", store, "--sae", run, "--hook", "blocks.5.hook_resid_post", "--out", temporaryPath(self, "y"), "--quiet"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no column \"blocks.5.hook_resid_post\""), missing.stderr)
    }
}
