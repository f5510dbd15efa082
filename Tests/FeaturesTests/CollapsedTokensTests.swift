import Foundation
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

/// Tokens whose unembedding rows collapsed together are found (the windowed search equals
/// the all-pairs definition) and left out of the logit effect.
final class CollapsedTokensTests: XCTestCase {
    /// 300 distinct rows, then 200 rows within 3% of one point (the untrained tokens), shuffled.
    private func unembedding() -> (Unembedding, [Bool]) {
        var rng = TestRandom(state: 21)
        func uniform() -> Float { Float(rng.below(2001)) / 1000 - 1 }
        let C = 12, V = 500
        let center = (0..<C).map { _ in uniform() }
        var rows: [[Float]] = [], collapsed: [Bool] = []
        for v in 0..<V {
            if v < 300 {
                rows.append((0..<C).map { _ in 0.5 * uniform() })
                collapsed.append(false)
            } else {
                rows.append(center.map { $0 + 0.005 * uniform() })
                collapsed.append(true)
            }
        }
        let order = (0..<V).map { ($0 * 7919) % V }
        return (Unembedding(matrix: order.flatMap { rows[$0] }, vocabularySize: V, width: C), order.map { collapsed[$0] })
    }

    func testWindowedSearchEqualsAllPairsAndFindsTheCollapsedRows() {
        let (u, truth) = unembedding()
        let found = CollapsedTokens.find(u)
        XCTAssertEqual(found, CollapsedTokens.reference(u))
        XCTAssertEqual(found, truth)
    }

    func testCollapsedTokensAreLeftOutOfTheLogitEffect() throws {
        let (u, collapsed) = unembedding()
        // A decoder direction pointing at the collapsed cluster: unfiltered, it promotes only them.
        let first = try XCTUnwrap(collapsed.firstIndex(of: true))
        let direction = Array(u.matrix[(first * u.width)..<((first + 1) * u.width)])
        let plain = try LogitEffect.compute(decoder: direction, featureCount: 1, unembedding: u, tokenCount: 5)
        XCTAssertTrue(plain.promoted(0).allSatisfy { collapsed[$0.token] }, "the test needs the cluster on top")
        let filtered = try LogitEffect.compute(decoder: direction, featureCount: 1, unembedding: u, tokenCount: 5, excluded: collapsed)
        XCTAssertTrue(filtered.promoted(0).allSatisfy { !collapsed[$0.token] })
        let reference = LogitEffect.reference(decoderRow: direction, unembedding: u, tokenCount: 5, excluded: collapsed)
        XCTAssertEqual(filtered.promoted(0).map(\.token), reference.top.map(\.token))
        XCTAssertEqual(filtered.suppressed(0).map(\.token), reference.bottom.map(\.token))
    }
}
