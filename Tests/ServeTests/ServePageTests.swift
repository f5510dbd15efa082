import FeatureAnalysis
import Foundation
import TestTools
import XCTest
@testable import Serve

/// The page at / in headless Chromium (Debian's `chromium`) against a real `saestore serve`:
/// it loads, lists the features, opens one with its examples, encodes a text through the
/// live endpoint and draws its tokens, with no script error. A failure under CI=true when
/// Chromium is missing, a skip elsewhere.
final class ServePageTests: XCTestCase, ServeProcessTesting {
    func testThePageDrawsAFeatureAndAnEncodedText() throws {
        let chromium = try HeadlessChromium()
        let fixture = try ServeFixture.get()
        let server = try start(["--store", fixture.store, "--features", fixture.results, "--sae", fixture.saeDirectory,
                                "--model", fixture.modelDirectory])
        let list = try JSONDecoder().decode(FeatureListPage.self, from: try curl([server.url + "/features?limit=1"]).body)
        let id = try XCTUnwrap(list.features.first?.feature)
        let page = server.url + "/?feature=\(id)&text=Good%20morrow%2C%20cousin."
        let (dom, log) = try chromiumRun(chromium, ["--dump-dom", page])
        XCTAssertTrue(dom.contains("data-rendered=\"ok\""), "the page did not finish drawing: \(dom.suffix(600)) \(log.suffix(800))")
        XCTAssertEqual(HeadlessChromium.consoleLines(log), [] as [String], "the page wrote to its console")
        XCTAssertTrue(dom.contains("<section id=\"feature\" data-feature=\"\(id)\">"), "feature \(id) not opened")
        XCTAssertTrue(dom.contains("Feature \(id)</h2>"))
        XCTAssertTrue(dom.contains("class=\"example\""), "no examples drawn")
        XCTAssertTrue(dom.contains("data-feature=\"\(id)\" class=\"on\"") || dom.contains("class=\"on\" data-feature=\"\(id)\""),
                      "the feature list does not mark \(id)")
        let encoded = try XCTUnwrap(dom.range(of: #"id="encoded" data-tokens="\d+""#, options: .regularExpression), "no encoded tokens")
        XCTAssertFalse(dom[encoded].hasSuffix("data-tokens=\"0\""))
        XCTAssertTrue(dom.contains(">Good</span>"), "the typed text's tokens are not drawn")

        let png = temporaryPath(self, "serve-page") + ".png"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: png) }
        _ = try chromiumRun(chromium, ["--window-size=1280,900", "--screenshot=\(png)", page])
        let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 10_000, "screenshot not written")
    }

    /// Runs headless Chromium on `arguments`; its stdout and its log (stderr).
    private func chromiumRun(_ chromium: HeadlessChromium, _ arguments: [String]) throws -> (String, String) {
        let output = try chromium.run(arguments, profileDirectory: temporaryPath(self, "chromium-profile"), virtualTimeBudgetMs: 15000)
        return (output.stdout, output.log)
    }
}
