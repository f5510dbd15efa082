import ActStore
import Extract
import Foundation
import StreamTrain
import XCTest
@testable import Features

/// Scan, results and examples on a real ingested store (skipped without ../shared/data).
final class FeatureExamplesTests: XCTestCase {
    private func scanned(_ fixture: TinyModelFixture, window: Int = 3) throws -> (FeatureInspector, URL) {
        let out = URL(fileURLWithPath: temporaryPath(self, "tiny-results"))
        let source = try SAESource(path: fixture.saeDirectory)
        _ = try FeatureScanJob.run(reader: try StoreReader(path: fixture.store), sae: source,
                                   config: FeatureScanConfig(column: try source.column(nil), topK: 10, quantileCount: 5,
                                                             samplesPerQuantile: 2, batchRows: 333),
                                   modelDirectory: fixture.modelDirectory, out: out)
        return (try FeatureInspector(resultsDirectory: out, window: window), out)
    }

    /// Every example's token is the stored token (its text is the decode of the row's
    /// token_id), its window is contiguous text of its document, the neighbours'
    /// activations equal a direct encode of their rows, and the top-k equals a brute-force
    /// sort of a direct encode of every row.
    func testExamplesResolveToTheStoredTokensWithTheirActivations() throws {
        let fixture = try TinyModelFixture.get()
        let (inspector, _) = try scanned(fixture)
        let reader = inspector.reader
        let rowCount = reader.rowCount
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<rowCount)
        var all: [Float] = []
        try reader.readRows(column: TinyModelFixture.hook, rows: 0..<rowCount, into: &all)
        let acts = fixture.sae.encode(all, rowCount: rowCount)
        let H = fixture.sae.dSAE
        let tables = inspector.results.tables

        let features = Array(stride(from: 0, to: H, by: 7))
        var checkedTokens = 0
        for detail in try inspector.details(features: features) {
            let f = detail.feature
            // Top-k against brute force within float tolerance (sgemm batch sizes differ).
            let column = (0..<rowCount).map { acts[$0 * H + f] }
            let firing = (0..<rowCount).filter { column[$0] > 0 }.sorted { column[$0] > column[$1] || (column[$0] == column[$1] && $0 < $1) }
            XCTAssertEqual(detail.fireCount, firing.count, "feature \(f) fire count")
            XCTAssertEqual(detail.topExamples.count, min(10, firing.count))
            for (i, example) in detail.topExamples.enumerated() {
                XCTAssertEqual(example.activation, column[firing[i]], accuracy: 1e-4 * max(1, column[firing[0]]), "feature \(f) rank \(i)")
                if i + 1 < firing.count, abs(column[firing[i]] - column[firing[i + 1]]) > 1e-4, i == 0 || abs(column[firing[i]] - column[firing[i - 1]]) > 1e-4 {
                    XCTAssertEqual(example.row, firing[i], "feature \(f) rank \(i)")
                }
            }
            for example in detail.topExamples + detail.quantiles.flatMap(\.examples) {
                let center = try XCTUnwrap(example.token)
                XCTAssertEqual(center.row, example.row)
                XCTAssertEqual(center.tokenID, UInt32(ids[example.row]))
                XCTAssertEqual(center.activation, example.activation, accuracy: 1e-4 * max(1, example.activation))
                let document = try XCTUnwrap(example.document)
                let text = Array(try XCTUnwrap(try reader.text(ofDocument: document)).utf8)
                var joined = ""
                for token in example.tokens {
                    XCTAssertEqual(token.tokenID, UInt32(ids[token.row]))
                    if token.tokenID == GPT2Tokenizer.endOfTextID {
                        XCTAssertEqual(token.text, "", "a BOS row has no text")
                    } else {
                        XCTAssertEqual(token.text, fixture.tokenizer.decode([token.tokenID]), "row \(token.row)")
                    }
                    XCTAssertEqual(token.activation, acts[token.row * H + f], accuracy: 1e-4 * max(1, tables.maxActivation(try inspector.results.featureIndex(f))),
                                   "feature \(f) neighbour row \(token.row)")
                    joined += token.text
                    checkedTokens += 1
                }
                XCTAssertNotNil(String(bytes: text, encoding: .utf8)?.range(of: joined), "window text is a slice of its document")
                XCTAssertEqual(example.tokens.map(\.row), Array(example.tokens.first!.row...example.tokens.last!.row))
                XCTAssertLessThanOrEqual(example.tokens.count, 2 * 3 + 1)
            }
            // Quantile samples lie in their buckets and the buckets count every firing row.
            XCTAssertEqual(detail.quantiles.reduce(0) { $0 + $1.count }, detail.fireCount)
            for bucket in detail.quantiles {
                for example in bucket.examples {
                    XCTAssertGreaterThanOrEqual(example.activation, bucket.lower * (1 - 1e-6))
                    XCTAssertLessThanOrEqual(example.activation, bucket.upper * (1 + 1e-6))
                }
            }
        }
        XCTAssertGreaterThan(checkedTokens, 500)
    }

    /// The stored logit effect equals the plain dot products with the unembedding.
    func testLogitEffectEqualsThePlainDefinition() throws {
        let fixture = try TinyModelFixture.get()
        let (inspector, _) = try scanned(fixture)
        let unembedding = try Unembedding(modelDirectory: fixture.modelDirectory)
        XCTAssertEqual(unembedding.vocabularySize, 50257)
        let decoder = fixture.sae.decoderMatrix
        for f in [0, 17, 200] {
            let detail = try inspector.detail(feature: f, quantiles: false)
            let row = Array(decoder[f * 128..<(f + 1) * 128])
            let expected = LogitEffect.reference(decoderRow: row, unembedding: unembedding, tokenCount: 10)
            let promoted = try XCTUnwrap(detail.promotedTokens), suppressed = try XCTUnwrap(detail.suppressedTokens)
            XCTAssertEqual(promoted.map(\.tokenID), expected.top.map(\.token), "feature \(f)")
            XCTAssertEqual(suppressed.map(\.tokenID), expected.bottom.map(\.token), "feature \(f)")
            for (a, b) in zip(promoted, expected.top) { XCTAssertEqual(a.value, b.value, accuracy: 1e-4) }
            XCTAssertEqual(promoted[0].text, fixture.tokenizer.decode([UInt32(promoted[0].tokenID)]))
        }
    }

    /// The inspector refuses an SAE whose files changed since the scan.
    func testInspectorRefusesAChangedSAE() throws {
        let fixture = try TinyModelFixture.get()
        let (_, out) = try scanned(fixture)
        var weights = fixture.sae.weights
        weights.bEnc[0] += 1
        let changed = try SparseAutoencoder(architecture: .standard, dIn: 128, dSAE: fixture.sae.dSAE, applyBDecToInput: true, weights: weights)
        let other = try ExactData.export(self, changed, hook: TinyModelFixture.hook)
        XCTAssertThrowsError(try FeatureInspector(resultsDirectory: out, sae: other)) { error in
            guard case .saeChanged? = error as? FeaturesError else { return XCTFail("\(error)") }
        }
    }
}
