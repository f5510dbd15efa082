import ActStore
import Foundation
import XCTest

final class QuickstartCommandTests: XCTestCase {
    /// Offline, with nothing in the HF cache: the quickstart says so in one line, runs the
    /// whole pipeline on the bundled demo model and corpus, leaves a store, an SAELens export
    /// and a report, and a second run reuses all of it.
    func testOfflineQuickstartRunsEndToEndOnTheDemoAndResumes() throws {
        let out = temporaryPath(self, "quickstart")
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_OFFLINE"] = "1"
        environment["HF_HUB_CACHE"] = out + "-empty-cache"
        environment["SAESTORE_MODEL"] = nil
        let first = try saestore(["quickstart", "--out", out, "--budget", "tiny", "--quiet"], environment: environment)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("No GPT-2 available"), first.stdout)
        for file in ["store/index/data.mdb", "run/sae/cfg.json", "run/sae/sae_weights.safetensors", "run/metrics.jsonl",
                     "features/index.html", "features/results.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        let reader = try StoreReader(path: out + "/store")
        XCTAssertEqual(reader.documentCount, 80)
        let page = try String(contentsOfFile: out + "/features/index.html", encoding: .utf8)
        XCTAssertTrue(page.contains("saestore"), "the report index was written")

        let again = try saestore(["quickstart", "--out", out, "--budget", "tiny", "--quiet"], environment: environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try StoreReader(path: out + "/store").rowCount, reader.rowCount, "the store is reused, not extended")

        let missing = try saestore(["quickstart", "--out", out + "2", "--corpus", out + "/nope.txt", "--quiet"], environment: environment)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
    }
}
