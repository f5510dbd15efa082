import Extract
import Foundation
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

/// `quickstart --budget full` on a corpus with fewer documents than the seed's 20,000 + 5,000.
final class QuickstartSplitTests: XCTestCase {
    func testASmallCorpusIsSplitInThePlannedProportion() throws {
        let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("demo").path
        let choice = QuickstartModelChoice(files: try ModelFiles.validated(directory: demo + "/model"), name: "demo", fallbackReason: nil)
        let plan = try QuickstartPlanner.plan(model: choice, corpora: [demo + "/corpus/tinyshakespeare-heldout.txt"],
                                              outputDirectory: NSTemporaryDirectory() + "qs-split", budget: .full)
        XCTAssertEqual([plan.trainingDocuments, plan.analysisDocuments], [20_000, 5_000])
        // The demo corpus has 939 documents: 4:1 is 751 + 188, not 938 + 1.
        let (training, analysis, note) = plan.split(documentCount: 939)
        XCTAssertEqual([training, analysis], [751, 188])
        let said = try XCTUnwrap(note)
        XCTAssertTrue(said.contains("939") && said.contains("4:1") && said.contains("751") && said.contains("188"), said)
        XCTAssertEqual(plan.split(documentCount: 2).training, 1, "at least one document each")
        XCTAssertEqual(plan.split(documentCount: 2).analysis, 1)
        let full = plan.split(documentCount: 30_000)
        XCTAssertEqual([full.training, full.analysis], [20_000, 5_000])
        XCTAssertNil(full.note)
    }
}
