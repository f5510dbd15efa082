import ActStore
@testable import Extract
import Foundation
import StreamTrain
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

/// The downstream losses replace the same rows in the SAE, zero and mean runs and count the
/// same positions (docs/EVALUATION.md, "Downstream").
final class DownstreamSymmetryTests: XCTestCase {
    typealias F = EvaluationFixtures

    private func evaluate(store: String, sae: SparseAutoencoder, model: GPT2Model) throws -> DownstreamMetrics {
        let config = EvaluationConfig(sae: try F.saeDirectory(self, sae), store: store, topK: 5, baselines: false,
                                      windowsPerBatch: 3, blockRowCount: 37)
        return try XCTUnwrap(try SAEEvaluation.run(config, model: model, modelName: "random").downstream)
    }

    /// BOS rows are left out of the measurement. An SAE that outputs zeros must then score
    /// exactly the zero-ablation loss (CE recovered 0), and one that outputs the rows' mean
    /// exactly the mean-ablation loss: that holds only if the ablations replace the same rows
    /// the SAE does. Zero-ablating every row (BOS included) while splicing only the kept ones,
    /// as evaluate once did, gives the zero SAE a recovered fraction far from 0 here.
    func testZeroAndMeanSAEsScoreExactlyTheirBaselinesWithBOSRowsLeftOut() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents(), bos: true)
        let reader = try StoreReader(path: store)
        let tokens = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount)
        XCTAssertGreaterThan(tokens.filter { $0 == UInt64(GPT2Tokenizer.endOfTextID) }.count, 5, "the store must have BOS rows")

        let zero = try evaluate(store: store, sae: try F.zeroSAE(), model: model)
        XCTAssertEqual(zero.saeLoss, zero.zeroAblationLoss, accuracy: 1e-9)
        XCTAssertEqual(zero.lossRecovered, 0, accuracy: 1e-9)
        XCTAssertEqual(zero.klDivergence, zero.zeroAblationKLDivergence, accuracy: 1e-9)

        // x̂ = b_dec = mean of the measured rows (no BOS, all positions ≥ 0).
        var x: [Float] = []
        try reader.readRows(column: F.hook, rows: 0..<reader.rowCount, into: &x)
        var mean = [Double](repeating: 0, count: F.width)
        var kept = 0
        for r in 0..<reader.rowCount where tokens[r] != UInt64(GPT2Tokenizer.endOfTextID) {
            for c in 0..<F.width { mean[c] += Double(x[r * F.width + c]) }
            kept += 1
        }
        let meanSAE = try SparseAutoencoder(
            architecture: .standard, dIn: F.width, dSAE: 4, applyBDecToInput: false,
            weights: SAEWeights(wEnc: [Float](repeating: 0, count: F.width * 4), bEnc: [Float](repeating: 0, count: 4),
                                wDec: [Float](repeating: 0, count: 4 * F.width), bDec: mean.map { Float($0 / Double(kept)) }))
        let meaned = try evaluate(store: store, sae: meanSAE, model: model)
        XCTAssertEqual(meaned.saeLoss, meaned.meanAblationLoss, accuracy: 1e-6)
        XCTAssertEqual(meaned.lossRecoveredAgainstMean, 0, accuracy: 1e-4)
        XCTAssertNotEqual(meaned.meanAblationLoss, meaned.zeroAblationLoss, "the two baselines differ")

        let exact = try evaluate(store: store, sae: try F.identitySAE(), model: model)
        XCTAssertEqual(exact.saeLoss, exact.cleanLoss, accuracy: 1e-9)
        XCTAssertEqual(exact.lossIncrease, 0, accuracy: 1e-9)
        XCTAssertEqual(exact.klDivergence, 0, accuracy: 1e-9)
        XCTAssertEqual(exact.lossRecovered, 1, accuracy: 1e-9)

        // What the asymmetric definition gave: the zero SAE spliced into kept rows only, every
        // row zeroed for the baseline. It must differ here, or the test would not test anything.
        let hook = try HookPoint(parsing: F.hook)
        let windows = try RowTokens(reader: reader, rows: 0..<reader.rowCount).windows
        var spliced = 0.0, zeroedAll = 0.0, clean = 0.0, count = 0.0
        for window in windows where window.tokenCount >= 2 {
            let ids = window.rows.map { UInt32(tokens[$0]) }, T = ids.count
            let n = Double(T - 1)
            clean += n * Double(try model.nextTokenLoss(tokens: ids, batch: 1, sequenceLength: T))
            spliced += n * Double(try model.nextTokenLoss(tokens: ids, batch: 1, sequenceLength: T, replacing: hook) { a in
                for t in 0..<T where ids[t] != GPT2Tokenizer.endOfTextID { for c in 0..<F.width { a[t * F.width + c] = 0 } }
            })
            zeroedAll += n * Double(try model.nextTokenLoss(tokens: ids, batch: 1, sequenceLength: T, replacing: hook) { a in
                for i in a.indices { a[i] = 0 }
            })
            count += n
        }
        let asymmetric = (zeroedAll - spliced) / (zeroedAll - clean)
        XCTAssertGreaterThan(abs(asymmetric), 0.05, "excluding BOS from the splice but not the ablation changes the answer")
    }

    /// The comparison's clean cross-entropy is the model's own next-token loss; KL of a run
    /// with itself is 0 and KL of a changed run is positive.
    func testComparisonMatchesTheModelsLossAndKLIsADivergence() throws {
        let model = try F.model()
        let ids = F.documents(lengths: [24])[0]
        let hook = try HookPoint(parsing: F.hook)
        let counted = [Bool](repeating: true, count: 2 * 11)
        let comparison = try model.compareNextTokens(
            tokens: ids, batch: 2, sequenceLength: 12, hook: hook,
            transforms: [nil, { _ in }, { a in for i in a.indices { a[i] *= 0.5 } }], counted: counted)
        let loss = try model.nextTokenLoss(tokens: ids, batch: 2, sequenceLength: 12)
        XCTAssertEqual(comparison.positionCount, 22)
        XCTAssertEqual(comparison.crossEntropySums[0] / 22, Double(loss), accuracy: 1e-5)
        XCTAssertEqual(comparison.crossEntropySums[1], comparison.crossEntropySums[0], accuracy: 1e-9)
        XCTAssertEqual(comparison.klSums[1], 0, accuracy: 1e-9)
        XCTAssertGreaterThan(comparison.klSums[2], 1e-4)
        // KL by its definition from the model's logits, for the unchanged run: 0; for the
        // halved one, recomputed from logits of the spliced forward is not available, so the
        // mask is checked instead: counting no position gives zero sums.
        let none = try model.compareNextTokens(tokens: ids, batch: 2, sequenceLength: 12, hook: hook,
                                               transforms: [nil, { a in for i in a.indices { a[i] = 0 } }],
                                               counted: [Bool](repeating: false, count: 22))
        XCTAssertEqual(none.positionCount, 0)
        XCTAssertEqual(none.crossEntropySums, [0, 0])
    }

    /// One SAELens directory with normalize_activations expected_average_only_in: `features`
    /// and `evaluate` resolve it the same way (SAESource), so each feature's firing count and
    /// maximum over the same rows agree, and the scale is √d_in / mean‖x‖ over the store's
    /// first rows at position ≥ 1 whatever rows a command looks at.
    func testOneExternalSAEGivesTheSameActivationsInFeaturesAndEvaluate() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents())
        let reader = try StoreReader(path: store)
        let directory = try F.saeDirectory(self, try F.randomSAE(), normalize: "expected_average_only_in")
        let positions = try reader.readIntegers(column: TokenColumn.position, rows: 0..<reader.rowCount)
        // From a window start to the store's end: every row lies in a complete window.
        let rows = try XCTUnwrap((40..<reader.rowCount).first { positions[$0] == 0 })..<reader.rowCount
        let evaluation = try SAEEvaluation.run(EvaluationConfig(sae: directory, store: store, firstRow: rows.lowerBound,
                                                                endRow: rows.upperBound, topK: 1, excludeSpecialTokens: false,
                                                                baselines: false))
        let out = URL(fileURLWithPath: F.temporaryPath(self, "features"))
        let results = try FeatureScanJob.run(reader: reader, sae: try SAESource(path: directory),
                                             config: FeatureScanConfig(column: F.hook, topK: 3, quantileCount: 0,
                                                                       firstRow: rows.lowerBound, endRow: rows.upperBound),
                                             modelDirectory: nil, out: out)
        let scale = try XCTUnwrap(results.manifest.inputScale)
        XCTAssertEqual(Double(scale.value), evaluation.reconstruction.activationScale, accuracy: 1e-12)
        var x: [Float] = []
        try reader.readRows(column: F.hook, rows: 0..<reader.rowCount, into: &x)
        var normSum = 0.0, counted = 0
        for r in 0..<reader.rowCount where positions[r] >= 1 {
            normSum += (0..<F.width).map { Double(x[r * F.width + $0]) * Double(x[r * F.width + $0]) }.reduce(0, +).squareRoot()
            counted += 1
        }
        XCTAssertEqual(Double(scale.value), Double(F.width).squareRoot() / (normSum / Double(counted)), accuracy: 1e-5)
        XCTAssertNotEqual(scale.value, 1, accuracy: 0.05, "the scale must matter for the test to test it")

        let firing = evaluation.reconstruction.firingFrequency.map { Int(($0 * Double(rows.count)).rounded()) }
        XCTAssertEqual(results.tables.fireCounts, firing)
        let features = try XCTUnwrap(evaluation.features)
        for f in 0..<results.tables.featureCount where results.tables.fireCounts[f] > 0 {
            let expected = results.tables.maxActivation(f)
            XCTAssertEqual(features.units.maxActivation[f], expected, accuracy: 1e-5 * max(expected, 1), "feature \(f)")
        }
    }
}
