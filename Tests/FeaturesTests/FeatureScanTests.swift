import ActStore
import Foundation
import StreamTrain
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

final class FeatureScanTests: XCTestCase {
    private let width = 16

    /// Brute force: encode every row with plain loops, sort each feature's firing rows.
    private func reference(_ sae: SparseAutoencoder, _ rows: [Float], range: Range<Int>, config: FeatureScanConfig) -> FeatureTables {
        let slice = Array(rows[range.lowerBound * width..<range.upperBound * width])
        let acts = FeatureScanReference.encode(sae, rows: slice, rowCount: range.count)
        return FeatureScanReference.tables(acts: acts, rows: Array(range), dSAE: sae.dSAE, config: config)
    }

    /// Top-k (ties by row), counts, sums, histograms and quantile samples equal brute force
    /// exactly, for every architecture, with features split across threads (300 features
    /// make several ranges), batches that cut chunks, and a row range.
    func testScanEqualsBruteForceExactlyIncludingTies() throws {
        let rowCount = 1500
        let rows = ExactData.rows(rowCount, width: width, seed: 7)
        let store = try ExactData.store(self, rows: rows, width: width, chunkRows: 64)
        let reader = try StoreReader(path: store)
        for (architecture, k) in [(SAEArchitecture.standard, 0), (.tied, 0), (.topk, 12), (.gated, 0)] {
            let sae = ExactData.sae(architecture, dIn: width, dSAE: 300, k: k, seed: 11)
            var config = FeatureScanConfig(column: ExactData.column, topK: 7, quantileCount: 4, samplesPerQuantile: 3,
                                           workerCount: 2, batchRows: 100, seed: 5)
            let scanned = try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config)
            let expected = reference(sae, rows, range: 0..<rowCount, config: config)
            assertTablesEqual(scanned, expected, "\(architecture) all rows")
            for kernels in [SAEKernelMode.dense, .sparse] {
                assertTablesEqual(try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config, kernels: kernels),
                                  expected, "\(architecture) all rows, \(kernels) fold")
            }
            // The data must really exercise ties: some feature's kept activations repeat.
            XCTAssertTrue((0..<scanned.featureCount).contains { f in
                let acts = scanned.topExamples(f).map(\.activation)
                return Set(acts).count < acts.count
            }, "no ties in the top-k: the test data does not test tie-breaking")
            XCTAssertGreaterThan(scanned.fireCounts.filter { $0 > 0 }.count, 100)

            config.firstRow = 130
            config.endRow = 1111
            config.batchRows = 37
            assertTablesEqual(try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config),
                              reference(sae, rows, range: 130..<1111, config: config), "\(architecture) rows 130..<1111")
        }
    }

    /// At low density (most latents closed, the case the sparse fold is for), the sparse fold
    /// over the encoder's CSR, the dense fold and `auto` all equal brute force exactly, ties
    /// included, with features split across threads and a feature subset (sliced encoder).
    func testSparseFoldEqualsBruteForceAtLowDensity() throws {
        let rowCount = 1200
        let rows = ExactData.rows(rowCount, width: width, seed: 17)
        let reader = try StoreReader(path: try ExactData.store(self, rows: rows, width: width, chunkRows: 100))
        for (architecture, k) in [(SAEArchitecture.standard, 0), (.topk, 4)] {
            var sae = ExactData.sae(architecture, dIn: width, dSAE: 400, k: k, seed: 23)
            var weights = sae.weights
            weights.bEnc = weights.bEnc.map { $0 - 10 }
            sae = try SparseAutoencoder(architecture: architecture, dIn: width, dSAE: 400, k: k, applyBDecToInput: true, weights: weights)
            var config = FeatureScanConfig(column: ExactData.column, topK: 6, quantileCount: 3, samplesPerQuantile: 2,
                                           workerCount: 2, batchRows: 128, seed: 9)
            let expected = reference(sae, rows, range: 0..<rowCount, config: config)
            let density = Double(expected.fireCounts.reduce(0, +)) / Double(rowCount * 400)
            XCTAssertLessThan(density, 0.03, "\(architecture): the data must be sparse")
            XCTAssertGreaterThan(expected.fireCounts.filter { $0 > 0 }.count, 50, "\(architecture): enough live features")
            XCTAssertTrue((0..<expected.featureCount).contains { f in
                let acts = expected.topExamples(f).map(\.activation)
                return Set(acts).count < acts.count
            }, "\(architecture): no ties to break")
            for kernels in [SAEKernelMode.sparse, .dense, .auto] {
                assertTablesEqual(try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config, kernels: kernels),
                                  expected, "\(architecture) low density, \(kernels) fold")
            }
            config.features = [1, 2, 3, 50, 51, 200, 399]
            config.firstRow = 77
            config.endRow = 1001
            assertTablesEqual(try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config, kernels: .sparse),
                              reference(sae, rows, range: 77..<1001, config: config), "\(architecture) low density subset, sparse fold")
        }
    }

    /// --features keeps only the listed features, with the same numbers as a full scan
    /// (sliced encoder for ReLU SAEs, full encode and pick for TopK).
    func testFeatureSubsetMatchesTheFullScan() throws {
        let rows = ExactData.rows(700, width: width, seed: 3)
        let reader = try StoreReader(path: try ExactData.store(self, rows: rows, width: width))
        for (architecture, k) in [(SAEArchitecture.standard, 0), (.topk, 8)] {
            let sae = ExactData.sae(architecture, dIn: width, dSAE: 64, k: k, seed: 4)
            let ids = [0, 5, 6, 31, 63]
            var config = FeatureScanConfig(column: ExactData.column, topK: 5, quantileCount: 3, samplesPerQuantile: 2, features: ids)
            let subset = try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config)
            assertTablesEqual(subset, reference(sae, rows, range: 0..<700, config: config), "\(architecture) subset")
            config.features = nil
            let full = try FeatureScanner.scan(reader: reader, sae: sae, saeName: "test", config: config)
            for (local, id) in ids.enumerated() {
                XCTAssertEqual(subset.topExamples(local).map(\.row), full.topExamples(id).map(\.row))
                XCTAssertEqual(subset.fireCounts[local], full.fireCounts[id])
            }
        }
    }

    /// The histogram's bit trick puts every value in the bin its edges say.
    func testHistogramBinsMatchTheirEdges() {
        var rng = TestRandom(state: 9)
        var values: [Float] = [1, 2, 0.5, 1.25, 1.5, 1.75, 1.2499999, 1e-30, 3e38, Float.leastNonzeroMagnitude,
                               ActivationHistogram.lowerEdge(0), ActivationHistogram.upperEdge(ActivationHistogram.binCount - 1)]
        for _ in 0..<20_000 {
            values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF) + Float.leastNonzeroMagnitude)
        }
        for v in values where v > 0 {
            XCTAssertEqual(ActivationHistogram.bin(v), ActivationHistogram.referenceBin(v), "value \(v)")
        }
        XCTAssertEqual(ActivationHistogram.lowerEdge(64), 1)  // 2^0 starts bin (0 - (-16)) × 4
    }

    func testScanRefusesASAEOfAnotherWidthAndAMissingColumn() throws {
        let reader = try StoreReader(path: try ExactData.store(self, rows: ExactData.rows(100, width: width, seed: 1), width: width))
        let wide = ExactData.sae(.standard, dIn: width + 1, dSAE: 8, seed: 1)
        XCTAssertThrowsError(try FeatureScanner.scan(reader: reader, sae: wide, saeName: "runs/x/sae",
                                                     config: FeatureScanConfig(column: ExactData.column))) { error in
            XCTAssertEqual(error as? FeaturesError, .widthMismatch(sae: "runs/x/sae", dIn: width + 1, column: ExactData.column, width: width))
        }
        let sae = ExactData.sae(.standard, dIn: width, dSAE: 8, seed: 1)
        XCTAssertThrowsError(try FeatureScanner.scan(reader: reader, sae: sae, saeName: "s",
                                                     config: FeatureScanConfig(column: "blocks.9.hook_resid_post"))) { error in
            guard case .missingColumn(_, let column, let available)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(column, "blocks.9.hook_resid_post")
            XCTAssertEqual(available, [ExactData.column])
        }
        XCTAssertThrowsError(try FeatureScanner.scan(reader: reader, sae: sae, saeName: "s",
                                                     config: FeatureScanConfig(column: ExactData.column, features: [3, 8])))
        XCTAssertThrowsError(try FeatureScanner.scan(reader: reader, sae: sae, saeName: "s",
                                                     config: FeatureScanConfig(column: ExactData.column, endRow: 101)))
    }

    func testFeatureListParsing() throws {
        XCTAssertEqual(try FeatureScanConfig.parseFeatureList("3,1-2, 7..8,3"), [1, 2, 3, 7, 8])
        XCTAssertThrowsError(try FeatureScanConfig.parseFeatureList("4-2"))
        XCTAssertThrowsError(try FeatureScanConfig.parseFeatureList("a"))
    }

    /// Results written and read back are identical; the job reads the SAE from a SAELens
    /// directory, and pointing the results at another store is refused.
    func testResultsRoundTripAndRefuseAnotherStore() throws {
        let rows = ExactData.rows(400, width: width, seed: 2)
        let storePath = try ExactData.store(self, rows: rows, width: width, name: "a")
        let sae = ExactData.sae(.standard, dIn: width, dSAE: 32, seed: 3)
        let source = try SAESource(path: try ExactData.export(self, sae))
        XCTAssertEqual(try source.column(nil), ExactData.column)
        let out = URL(fileURLWithPath: temporaryPath(self, "results"))
        var progressCalls = 0
        let written = try FeatureScanJob.run(reader: try StoreReader(path: storePath), sae: source,
                                             config: FeatureScanConfig(column: try source.column(nil), topK: 4, batchRows: 50),
                                             modelDirectory: nil, out: out, progress: { _ in progressCalls += 1 })
        XCTAssertGreaterThan(progressCalls, 8)
        let loaded = try FeatureResults.load(directory: out)
        XCTAssertEqual(loaded, written)
        XCTAssertNoThrow(try loaded.openStore(resultsPath: out.path))

        // Same shape, different values: another store.
        var other = rows
        other[5] += 1
        let otherPath = try ExactData.store(self, rows: other, width: width, name: "b")
        XCTAssertThrowsError(try loaded.openStore(otherPath, resultsPath: out.path)) { error in
            guard case .foreignResults? = error as? FeaturesError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try FeatureInspector(resultsDirectory: out, store: otherPath)) { error in
            guard case .foreignResults? = error as? FeaturesError else { return XCTFail("\(error)") }
        }
        // A moved copy of the same data is accepted.
        let moved = try ExactData.store(self, rows: rows, width: width, name: "moved")
        XCTAssertNoThrow(try loaded.openStore(moved, resultsPath: out.path))

        // A damaged data file is named.
        let data = out.appendingPathComponent(FeatureResultsManifest.dataFileName)
        try Data([1, 2, 3]).write(to: data)
        XCTAssertThrowsError(try FeatureResults.load(directory: out)) { error in
            guard case .badResults(let path, _)? = error as? FeaturesError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, data.path)
        }
    }
}
