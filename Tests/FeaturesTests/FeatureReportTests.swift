import ActStore
import Foundation
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep
import TestTools

/// The HTML report: files, embedded data, and (when Chromium is installed) a real headless
/// browser drawing the index and a feature page without script errors.
final class FeatureReportTests: XCTestCase {
    private func report(_ fixture: TinyModelFixture) throws -> (URL, FeatureInspector) {
        let out = URL(fileURLWithPath: temporaryPath(self, "report"))
        let source = try SAESource(path: fixture.saeDirectory)
        _ = try FeatureScanJob.run(reader: try StoreReader(path: fixture.store), sae: source,
                                   config: FeatureScanConfig(column: try source.column(nil), topK: 5, quantileCount: 3, samplesPerQuantile: 2),
                                   modelDirectory: fixture.modelDirectory, out: out)
        let inspector = try FeatureInspector(resultsDirectory: out, window: 4)
        try FeatureReport.write(inspector: inspector, to: out)
        return (out, inspector)
    }

    /// The embedded JSON of a page.
    private func pageData(_ url: URL) throws -> [String: Any] {
        let html = try String(contentsOf: url, encoding: .utf8)
        let start = try XCTUnwrap(html.range(of: "<script id=\"data\" type=\"application/json\">"))
        let end = try XCTUnwrap(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let json = String(html[start.upperBound..<end.lowerBound])
        XCTAssertFalse(json.contains("<"), "a < in the data could close the script element")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func testReportHasAPagePerLiveFeatureAndSummarisesTheDead() throws {
        let fixture = try TinyModelFixture.get()
        let (out, inspector) = try report(fixture)
        let t = inspector.results.tables
        let pages = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("features").path)
        let live = (0..<t.featureCount).filter { t.fireCounts[$0] > 0 }
        XCTAssertEqual(Set(pages), Set(live.map { "\(t.featureIDs[$0]).html" }))
        let index = try pageData(out.appendingPathComponent("index.html"))
        let listed = try XCTUnwrap(index["features"] as? [[Double]])
        XCTAssertEqual(listed.count, live.count)
        XCTAssertEqual(listed.map { $0[2] }, listed.map { $0[2] }.sorted(by: >), "sorted by frequency")
        XCTAssertEqual((index["dead"] as? [Int])?.count, t.featureCount - live.count)
        for name in ["assets/report.js", "assets/report.css"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let id = t.featureIDs[live[0]]
        let page = try pageData(out.appendingPathComponent("features/\(id).html"))
        let top = try XCTUnwrap(page["top"] as? [[String: Any]])
        let detail = try inspector.detail(feature: id)
        XCTAssertEqual(top.count, detail.topExamples.count)
        XCTAssertEqual(top.first?["t"] as? [String], detail.topExamples.first?.tokens.map(\.text))
        XCTAssertNotNil(page["pos"], "logit table present with a model")
    }

    /// Chromium (Debian's `chromium`) loads the index and a feature page from file://, the
    /// script runs to the end (it sets data-rendered="ok" last), and the feature page shows
    /// its top example's text. Needs Chromium (a failure under CI=true, a skip elsewhere).
    func testReportDrawsInHeadlessChromium() throws {
        let chromium = try HeadlessChromium()
        let fixture = try TinyModelFixture.get()
        let (out, inspector) = try report(fixture)
        let t = inspector.results.tables
        let f = try XCTUnwrap((0..<t.featureCount).max { t.fireCounts[$0] < t.fireCounts[$1] })
        let id = t.featureIDs[f]

        let index = try dumpDOM(chromium, out.appendingPathComponent("index.html"))
        XCTAssertTrue(index.dom.contains("data-rendered=\"ok\""), "index did not finish drawing: \(index.log.suffix(800))")
        XCTAssertTrue(index.dom.contains("<table id=\"features\""))
        XCTAssertTrue(index.dom.contains("href=\"features/\(id).html\""))
        XCTAssertFalse(index.log.contains("Uncaught"), index.log)

        let page = try dumpDOM(chromium, out.appendingPathComponent("features/\(id).html"))
        XCTAssertTrue(page.dom.contains("data-rendered=\"ok\""), "feature page did not finish drawing: \(page.log.suffix(800))")
        XCTAssertTrue(page.dom.contains("<title>Feature \(id) · saestore</title>"))
        XCTAssertFalse(page.log.contains("Uncaught"), page.log)
        let example = try XCTUnwrap(inspector.detail(feature: id).topExamples.first)
        let center = try XCTUnwrap(example.token)
        let shown = center.text.isEmpty ? "⟨bos⟩" : Self.htmlEscaped(center.text.replacingOccurrences(of: "\n", with: "↵"))
        XCTAssertTrue(page.dom.contains("class=\"tok center\"") || page.dom.contains("class=\"tok center bos\""))
        XCTAssertTrue(page.dom.contains(">\(shown)</span>"), "the top example's token \(shown) is not on the page")
        XCTAssertTrue(page.dom.contains("<svg"), "histogram drawn")
    }

    private func dumpDOM(_ chromium: HeadlessChromium, _ page: URL) throws -> (dom: String, log: String) {
        let output = try chromium.run(["--dump-dom", page.absoluteString], profileDirectory: temporaryPath(self, "chromium-profile"))
        return (output.stdout, output.log)
    }

    static func htmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
