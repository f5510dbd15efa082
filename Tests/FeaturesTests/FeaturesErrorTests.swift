import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

final class FeaturesErrorTests: XCTestCase {
    func testMessagesNameTheMismatch() {
        let error = FeaturesError.widthMismatch(sae: "runs/l2/sae", dIn: 768, column: "blocks.2.hook_resid_pre", width: 128)
        XCTAssertTrue(error.description.contains("768"))
        XCTAssertTrue(error.description.contains("128"))
    }
}
