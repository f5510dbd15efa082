import ActStore
import Extract
import Foundation
import StreamTrain
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

/// Scan, results and examples on a real ingested store (skipped without ../shared/data).
final class FeatureExamplesTests: XCTestCase {
    private func scanned(_ fixture: TinyModelFixture, window: Int = 3, sae: String? = nil) throws -> (FeatureInspector, URL) {
        let out = URL(fileURLWithPath: temporaryPath(self, "tiny-results"))
        let source = try SAESource(path: sae ?? fixture.saeDirectory)
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
            // Duplicate contexts are folded (DuplicateContextTests holds the fold against its
            // reference), so ranks past the first need not be the brute force's: each example's
            // activation is its own row's, in order, and the first is the column's maximum.
            let tolerance = 1e-4 * max(1, column[firing.first ?? 0])
            if let first = detail.topExamples.first {
                XCTAssertEqual(first.activation, column[firing[0]], accuracy: tolerance, "feature \(f) maximum")
            }
            for (i, example) in detail.topExamples.enumerated() {
                XCTAssertEqual(example.activation, column[example.row], accuracy: tolerance, "feature \(f) rank \(i)")
                if i > 0 { XCTAssertLessThanOrEqual(example.activation, detail.topExamples[i - 1].activation + tolerance) }
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
        let trained = try TrainingTokensTests.demoTrainedMask(vocabularySize: 50257)
        for f in [0, 17, 200] {
            let detail = try inspector.detail(feature: f, quantiles: false)
            let row = Array(decoder[f * 128..<(f + 1) * 128])
            // Left out, as the inspector does: tokens whose unembedding rows collapsed together,
            // and tokens demo/model/training_tokens.json says the model never trained on.
            let expected = LogitEffect.reference(decoderRow: row, unembedding: unembedding, tokenCount: 10,
                                                 excluded: zip(CollapsedTokens.find(unembedding), trained).map { $0 || !$1 })
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

    /// The windows stored at scan time are what resolving from the store gives, for every
    /// example (top and quantile samples) of many features: texts, rows, token ids equal and
    /// activations bitwise equal for the ReLU SAE (the same dot product computes both), within
    /// 1e-6 for TopK (encoded in batches of other sizes, so sgemm may round differently); for
    /// the stored window and for narrower ones cut from it. A wider window resolves from the store.
    func testStoredWindowsEqualExamplesResolvedFromTheStore() throws {
        let fixture = try TinyModelFixture.get()
        let topk = try ExactData.export(self, ExactData.sae(.topk, dIn: 128, dSAE: 96, k: 12, seed: 21), hook: TinyModelFixture.hook)
        for (sae, tolerance) in [(fixture.saeDirectory, Float(0)), (topk, 1e-6)] {
            let (_, out) = try scanned(fixture, sae: sae)
            let manifest = try FeatureResults.load(directory: out).manifest
            XCTAssertEqual(manifest.examples?.window, 12)
            let ids = Array(stride(from: 0, to: manifest.sae.dSAE, by: 5))
            var compared = 0
            for window in [0, 3, 12] {
                let stored = try FeatureInspector(resultsDirectory: out, window: window)
                XCTAssertNotNil(stored.storedWindows)
                let resolved = try FeatureInspector(resultsDirectory: out, window: window, useStoredWindows: false)
                XCTAssertNil(resolved.storedWindows)
                let a = try stored.details(features: ids), b = try resolved.details(features: ids)
                XCTAssertEqual(a.count, b.count)
                for (x, y) in zip(a, b) {
                    let ex = x.topExamples + x.quantiles.flatMap(\.examples), ey = y.topExamples + y.quantiles.flatMap(\.examples)
                    XCTAssertEqual(ex.count, ey.count)
                    for (e, r) in zip(ex, ey) {
                        XCTAssertEqual(e.tokens.map(\.text), r.tokens.map(\.text), "feature \(x.feature) row \(e.row)")
                        XCTAssertEqual(e.tokens.map(\.row), r.tokens.map(\.row))
                        XCTAssertEqual(e.tokens.map(\.tokenID), r.tokens.map(\.tokenID))
                        XCTAssertLessThanOrEqual(e.tokens.count, 2 * window + 1)
                        XCTAssertEqual([e.row, e.centerIndex, e.document ?? -1, e.tokenIndex ?? -1, e.sourceIndex ?? -1],
                                       [r.row, r.centerIndex, r.document ?? -1, r.tokenIndex ?? -1, r.sourceIndex ?? -1])
                        XCTAssertEqual(e.source, r.source)
                        for (p, q) in zip(e.tokens, r.tokens) {
                            XCTAssertEqual(p.activation, q.activation, accuracy: tolerance * max(1, abs(q.activation)), "feature \(x.feature) row \(p.row)")
                        }
                        compared += e.tokens.count
                    }
                    if tolerance == 0 { XCTAssertEqual(x, y, "feature \(x.feature), window \(window)") }
                }
            }
            XCTAssertGreaterThan(compared, 1000)
            XCTAssertNil(try FeatureInspector(resultsDirectory: out, window: 13).storedWindows, "a wider window than stored")
        }
    }

    /// Results written before the stored windows (no results.examples, no `examples` in
    /// results.json) are served from the store, as before; a damaged or foreign examples file
    /// is refused, naming the file.
    func testResultsWithoutStoredWindowsAreResolvedAndDamagedOnesRefused() throws {
        let fixture = try TinyModelFixture.get()
        let (inspector, out) = try scanned(fixture)
        let expected = try inspector.details(features: [0, 9, 40])
        let examplesURL = out.appendingPathComponent(ExampleWindowsFile.fileName)
        let manifestURL = out.appendingPathComponent(FeatureResultsManifest.fileName)
        let saved = try Data(contentsOf: examplesURL), savedManifest = try Data(contentsOf: manifestURL)

        // Damage: a truncated file, then one with a changed byte in a feature's block.
        try saved.prefix(saved.count - 1).write(to: examplesURL)
        XCTAssertThrowsError(try FeatureInspector(resultsDirectory: out, window: 3)) { error in
            guard case .badResults(let path, let detail)? = error as? FeaturesError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, examplesURL.path)
            XCTAssertTrue(detail.contains("rerun"), detail)
        }
        var flipped = saved
        let info = try XCTUnwrap(try FeatureResults.load(directory: out).manifest.examples)
        let table = 32 + 8 * (inspector.results.tables.featureCount + 1)
        flipped[table + 4] ^= 0x40  // first example's row, feature 0's block
        try flipped.write(to: examplesURL)
        XCTAssertEqual(flipped.count, info.byteCount)
        XCTAssertThrowsError(try FeatureInspector(resultsDirectory: out, window: 3).detail(feature: 0)) { error in
            guard case .badResults? = error as? FeaturesError else { return XCTFail("\(error)") }
        }

        // Older results: no file, no manifest entry.
        try FileManager.default.removeItem(at: examplesURL)
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: savedManifest) as? [String: Any])
        json.removeValue(forKey: "examples")
        var sae = try XCTUnwrap(json["sae"] as? [String: Any])
        sae.removeValue(forKey: "fileStamps")  // older results hash the SAE files every time
        json["sae"] = sae
        try JSONSerialization.data(withJSONObject: json).write(to: manifestURL)
        let old = try FeatureInspector(resultsDirectory: out, window: 3)
        XCTAssertNil(old.storedWindows)
        XCTAssertNil(old.results.manifest.sae.fileStamps)
        XCTAssertEqual(try old.details(features: [0, 9, 40]), expected)
    }

    /// The SAE check reads no weights while the files keep their stat stamps, and still
    /// refuses weights rewritten in place with the same size and a restored mtime (the
    /// ctime moves), and accepts a byte-identical copy elsewhere (stamps differ, hash equal).
    func testSAECheckUsesStampsAndFallsBackToTheHash() throws {
        let fixture = try TinyModelFixture.get()
        let copy = temporaryPath(self, "sae-copy")
        try FileManager.default.copyItem(atPath: fixture.saeDirectory, toPath: copy)
        let (_, out) = try scanned(fixture, sae: copy)
        let identity = try FeatureResults.load(directory: out).manifest.sae
        XCTAssertEqual(identity.fileStamps?.count, 2)
        XCTAssertNil(try identity.changedHash(directory: URL(fileURLWithPath: copy)))
        XCTAssertNil(try identity.changedHash(directory: URL(fileURLWithPath: fixture.saeDirectory)), "same bytes elsewhere")
        XCTAssertNoThrow(try FeatureInspector(resultsDirectory: out, sae: fixture.saeDirectory))

        let weights = URL(fileURLWithPath: copy + "/sae_weights.safetensors")
        let mtime = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: weights.path)[.modificationDate] as? Date)
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count - 1] ^= 0x01
        let handle = try FileHandle(forWritingTo: weights)
        try handle.write(contentsOf: bytes)
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: weights.path)
        XCTAssertNotNil(try identity.changedHash(directory: URL(fileURLWithPath: copy)))
        XCTAssertThrowsError(try FeatureInspector(resultsDirectory: out)) { error in
            guard case .saeChanged? = error as? FeaturesError else { return XCTFail("\(error)") }
        }
    }
}
