import ActStore
import Foundation
import StreamTrain
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

/// Examples whose context (the tokens from the window start to the example's token) is
/// identical to one already kept are folded into it, in the scan and in the brute-force
/// reference alike.
final class DuplicateContextTests: XCTestCase {
    private let width = 8
    private let context = 10

    /// Documents that all open with the same speaker line ("THOMAS MOWBRAY:"), as plays do:
    /// their first windows share a prefix, so by causality those rows are the same context.
    private func documents() -> [[UInt32]] {
        var rng = TestRandom(state: 3)
        let prefix: [UInt32] = [11, 12, 13, 14]
        return (0..<24).map { d in prefix + (0..<(6 + d % 9)).map { _ in UInt32(20 + rng.below(30)) } }
    }

    /// Activations a function of the context only (exact small integers, as ExactData's).
    private func activation(context tokens: ArraySlice<UInt32>) -> [Float] {
        var state = ContextKeys.reference(tokens: tokens.map { UInt64($0) })
        return (0..<width).map { _ in
            state = ContextKeys.mix(state, 1)
            return Float(Int(state % 7) - 3)
        }
    }

    /// A store of `documents()` in windows of `context`, plus each row's context key.
    private func store() throws -> (path: String, rows: [Float], keys: [UInt64]) {
        let path = temporaryPath(self, "contexts")
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: TokenColumn.all + [ColumnSpec(name: ExactData.column, width: width, codec: .f32)], chunkRows: 16,
            hasDocuments: true, model: "none", contextSize: context, prependBOS: false))
        var all: [Float] = [], keys: [UInt64] = []
        for (index, document) in documents().enumerated() {
            var ids: [UInt32] = [], positions: [UInt32] = [], values: [Float] = []
            for start in stride(from: 0, to: document.count, by: context) {
                let window = document[start..<min(start + context, document.count)]
                for t in 0..<window.count {
                    let prefix = window.prefix(t + 1)
                    ids.append(window[window.startIndex + t])
                    positions.append(UInt32(t))
                    values += activation(context: prefix)
                    keys.append(ContextKeys.reference(tokens: prefix.map { UInt64($0) }))
                }
            }
            all += values
            try writer.append(DocumentRows(text: "doc \(index)", source: "test", sourceIndex: index, tokenIDs: ids,
                                           positions: positions, byteStarts: ids.map { _ in 0 }, byteEnds: ids.map { _ in 1 },
                                           activations: [ExactData.column: values]))
        }
        try writer.commit()
        return (path, all, keys)
    }

    func testScanFoldsIdenticalContextsExactlyAsTheReferenceDoes() throws {
        let (path, rows, keys) = try store()
        let reader = try StoreReader(path: path)
        let rowCount = reader.rowCount
        // The chained keys the scan computes are the plain ones, also from a mid-window start.
        let chain = try ContextKeys(reader: reader, firstRow: 7)
        XCTAssertEqual(try chain.keys(of: Array(7..<40)), Array(keys[7..<40]))
        XCTAssertEqual(try chain.keys(of: [41, 45, 90]), [keys[41], keys[45], keys[90]])

        for (architecture, k) in [(SAEArchitecture.standard, 0), (.topk, 5)] {
            let sae = ExactData.sae(architecture, dIn: width, dSAE: 40, k: k, seed: 9)
            let config = FeatureScanConfig(column: ExactData.column, topK: 6, quantileCount: 3, samplesPerQuantile: 4,
                                           batchRows: 17, seed: 2)
            let acts = FeatureScanReference.encode(sae, rows: rows, rowCount: rowCount)
            let expected = FeatureScanReference.tables(acts: acts, rows: Array(0..<rowCount), keys: keys, dSAE: 40, config: config)
            for kernels in [SAEKernelMode.auto, .dense, .sparse] {
                let scanned = try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config, kernels: kernels)
                assertTablesEqual(scanned, expected, "\(architecture) \(kernels)")
            }
            // Folding happened, and no two kept examples of a feature share a context.
            XCTAssertGreaterThan(expected.topDuplicates.reduce(0, +), 20, "the shared openings must be folded")
            XCTAssertGreaterThan(expected.quantileDuplicates.reduce(0, +), 0)
            for f in 0..<expected.featureCount {
                let kept = expected.topExamples(f).map { keys[$0.row] }
                XCTAssertEqual(Set(kept).count, kept.count, "feature \(f) keeps one context twice")
                for q in 0..<expected.quantileCount {
                    let sampled = expected.quantileSamples(f, bucket: q).map { keys[$0.row] }
                    XCTAssertEqual(Set(sampled).count, sampled.count, "feature \(f) bucket \(q)")
                }
            }
            // Without folding (each row its own context) the opening rows crowd the top.
            let unfolded = FeatureScanReference.tables(acts: acts, rows: Array(0..<rowCount), dSAE: 40, config: config)
            XCTAssertTrue((0..<unfolded.featureCount).contains { f in
                let kept = unfolded.topExamples(f).map { keys[$0.row] }
                return Set(kept).count < kept.count
            }, "the data must have features whose unfolded top-k repeats a context")
        }
    }

    /// `features` writes the folded counts and `feature` shows them per example.
    func testFoldedCountsReachTheInspector() throws {
        let (path, _, _) = try store()
        let reader = try StoreReader(path: path)
        let sae = ExactData.sae(.standard, dIn: width, dSAE: 40, seed: 9)
        let out = URL(fileURLWithPath: temporaryPath(self, "results"))
        let results = try FeatureScanJob.run(reader: reader, sae: try SAESource(path: try ExactData.export(self, sae)),
                                             config: FeatureScanConfig(column: ExactData.column, topK: 6, quantileCount: 3,
                                                                       samplesPerQuantile: 4),
                                             modelDirectory: nil, out: out)
        XCTAssertEqual(results.manifest.foldsDuplicateContexts, true)
        let inspector = try FeatureInspector(resultsDirectory: out, window: 4)
        let f = try XCTUnwrap((0..<40).max { results.tables.topDuplicateCounts($0).reduce(0, +) < results.tables.topDuplicateCounts($1).reduce(0, +) })
        let detail = try inspector.detail(feature: f)
        XCTAssertEqual(detail.topExamples.map { $0.duplicates ?? -1 }, results.tables.topDuplicateCounts(f))
        XCTAssertGreaterThan(detail.duplicatesFolded, 0)
    }
}
