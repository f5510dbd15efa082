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

final class EvaluationTests: XCTestCase {
    typealias F = EvaluationFixtures

    private func evaluate(store: String, sae: String, rows: Range<Int>? = nil, model: GPT2Model? = nil,
                          configure: (inout EvaluationConfig) -> Void = { _ in }) throws -> EvaluationResult {
        var config = EvaluationConfig(sae: sae, store: store, firstRow: rows?.lowerBound, endRow: rows?.upperBound,
                                      topK: 5, windowsPerBatch: 3, blockRowCount: 37)
        configure(&config)
        return try SAEEvaluation.run(config, model: model, modelName: "random")
    }

    /// MSE, FVE, L0, dead/dense and firing frequencies equal a Double recomputation, for a
    /// standard and a TopK SAE, over a range that cuts windows and chunks.
    func testReconstructionMetricsEqualABruteForceRecomputation() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents())
        let reader = try StoreReader(path: store)
        for sae in [try F.randomSAE(), try F.randomSAE(.topk, k: 6)] {
            let directory = try F.saeDirectory(self, sae)
            let rows = 7..<(reader.rowCount - 5)
            let result = try evaluate(store: store, sae: directory, rows: rows) { $0.denseThreshold = 0.3 }
            let reference = try EvaluationReference.reconstruction(sae, reader: reader, column: F.hook, rows: rows)
            let r = result.reconstruction
            XCTAssertEqual(r.rowCount, rows.count)
            XCTAssertEqual(r.mse, reference.mse, accuracy: 1e-5 * reference.mse)
            XCTAssertEqual(r.explainedVariance, reference.explainedVariance, accuracy: 1e-5)
            XCTAssertEqual(r.l0, reference.l0, accuracy: 1e-9, "no pre-activation sits within float noise of 0 here")
            XCTAssertEqual(r.firingFrequency, reference.firingFrequency)
            XCTAssertEqual(r.deadFeatureCount, reference.firingFrequency.filter { $0 == 0 }.count)
            XCTAssertEqual(r.denseFeatureCount, reference.firingFrequency.filter { $0 > 0.3 }.count)
            XCTAssertGreaterThan(r.denseFeatureCount, 0, "the random SAE has dense latents, so the count is tested")
            XCTAssertEqual(result.firstRow, rows.lowerBound)
            XCTAssertEqual(result.rowSelection, "given")
        }
    }

    /// An SAE that reconstructs exactly has FVE 1 and recovers all of the CE loss; one that
    /// outputs zeros recovers none. Both are exact, not approximate.
    func testExactSAERecoversEverythingAndZeroSAERecoversNothing() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents())
        let exact = try evaluate(store: store, sae: try F.saeDirectory(self, try F.identitySAE()), model: model)
        XCTAssertEqual(exact.reconstruction.mse, 0)
        XCTAssertEqual(exact.reconstruction.explainedVariance, 1)
        let downstream = try XCTUnwrap(exact.downstream)
        XCTAssertEqual(downstream.saeLoss, downstream.cleanLoss)
        XCTAssertEqual(downstream.lossRecovered, 1)
        XCTAssertGreaterThan(downstream.zeroAblationLoss, downstream.cleanLoss + 0.01, "zero-ablation hurts the model")

        let zero = try evaluate(store: store, sae: try F.saeDirectory(self, try F.zeroSAE()), model: model)
        let zeroDownstream = try XCTUnwrap(zero.downstream)
        XCTAssertEqual(zeroDownstream.saeLoss, zeroDownstream.zeroAblationLoss)
        XCTAssertEqual(zeroDownstream.lossRecovered, 0)
        XCTAssertEqual(zero.reconstruction.l0, 0)
        XCTAssertEqual(zero.reconstruction.deadFeatureCount, 32)
    }

    /// Clean, spliced and zero-ablated losses equal window-by-window forward passes with the
    /// reconstruction computed in Double; windows cut by the range are not run.
    func testDownstreamLossesEqualWindowByWindowForwardPasses() throws {
        let model = try F.model()
        let documents = F.documents()
        let store = try F.modelStore(self, model: model, documents: documents)
        let reader = try StoreReader(path: store)
        let sae = try F.randomSAE()
        let rows = 5..<(reader.rowCount - 3)
        let result = try evaluate(store: store, sae: try F.saeDirectory(self, sae), rows: rows, model: model)
        let downstream = try XCTUnwrap(result.downstream)

        let tokens = try RowTokens(reader: reader, rows: rows)
        var clean = 0.0, spliced = 0.0, zeroed = 0.0, predicted = 0
        let hook = try HookPoint(parsing: F.hook)
        for window in tokens.windows where window.tokenCount >= 2 {
            let ids = Array(tokens.tokens(of: window)), T = ids.count, n = Double(T - 1)
            clean += n * Double(try model.nextTokenLoss(tokens: ids, batch: 1, sequenceLength: T))
            spliced += n * Double(try model.nextTokenLoss(tokens: ids, batch: 1, sequenceLength: T, replacing: hook) { x in
                for t in 0..<T {
                    let xhat = EvaluationReference.encodeDecode(sae, x[(t * F.width)..<((t + 1) * F.width)]).xhat
                    for c in 0..<F.width { x[t * F.width + c] = Float(xhat[c]) }
                }
            })
            zeroed += n * Double(try model.nextTokenLoss(tokens: ids, batch: 1, sequenceLength: T, replacing: hook) { x in
                for i in x.indices { x[i] = 0 }
            })
            predicted += T - 1
        }
        XCTAssertEqual(downstream.windowCount, tokens.windows.count)
        XCTAssertLessThan(downstream.windowCount, F.documents().map { ($0.count + 11) / 12 }.reduce(0, +), "cut windows are skipped")
        XCTAssertEqual(downstream.predictedTokenCount, predicted)
        let n = Double(predicted)
        XCTAssertEqual(downstream.cleanLoss, clean / n, accuracy: 1e-5 * clean / n)
        XCTAssertEqual(downstream.saeLoss, spliced / n, accuracy: 1e-5 * spliced / n)
        XCTAssertEqual(downstream.zeroAblationLoss, zeroed / n, accuracy: 1e-5 * zeroed / n)
        let recovered = (zeroed - spliced) / (zeroed - clean)
        XCTAssertEqual(downstream.lossRecovered, recovered, accuracy: 1e-3)
        XCTAssertGreaterThan(abs(downstream.saeLoss - downstream.cleanLoss), 1e-3, "the splice changes the model's output")
    }

    /// Windows rebuilt from token_id + pos (+ doc_id) are the windows that were stored.
    func testWindowsRebuiltFromTheStoreAreTheStoredWindows() throws {
        let documents = F.documents()
        let store = try F.syntheticStore(self, documents: documents) { _, _ in [Float](repeating: 1, count: F.width) }
        let reader = try StoreReader(path: store)
        let expected = documents.flatMap { F.windows(of: $0, context: 12, bos: false) }
        let all = try RowTokens(reader: reader, rows: 0..<reader.rowCount)
        XCTAssertEqual(all.windows.map { Array(all.tokens(of: $0)) }, expected)
        XCTAssertEqual(all.windows.map(\.tokenCount).reduce(0, +), reader.rowCount)

        // A range that starts and ends inside windows keeps only the windows wholly inside it.
        var starts: [Int] = [], row = 0
        for window in expected { starts.append(row); row += window.count }
        let range = 17..<(reader.rowCount - 4)
        let inside = zip(starts, expected).filter { $0.0 >= range.lowerBound && $0.0 + $0.1.count <= range.upperBound }
        let part = try RowTokens(reader: reader, rows: range)
        XCTAssertEqual(part.windows.map(\.rows), inside.map { $0.0..<($0.0 + $0.1.count) })
        XCTAssertEqual(part.windows.map { Array(part.tokens(of: $0)) }, inside.map(\.1))
        // Previous tokens: the row before in the same window, else the window-start marker.
        let ids = expected.flatMap { $0 }
        for (i, row) in range.enumerated() {
            let isStart = starts.contains(row)
            XCTAssertEqual(part.previousTokenIDs[i], isStart ? RowTokens.windowStart : ids[row - 1], "row \(row)")
        }
    }

    /// A real ingest of Shakespeare with BOS: each rebuilt window is BOS + the tokenizer's ids.
    func testWindowsOfARealIngestAreTheTokenizersWindows() throws {
        let modelDirectory = try F.sharedData("models/tiny-shakespeare-gpt2")
        let text = try String(contentsOfFile: try F.sharedData("corpora/tinyshakespeare.txt"), encoding: .utf8)
        let paragraphs = Array(text.components(separatedBy: "\n\n").prefix(12))
        let tokenizer = try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt")
        let ingester = try Ingester(model: try GPT2Model(directory: modelDirectory), tokenizer: tokenizer,
                                    modelName: "tiny", config: IngestConfig(hooks: [F.hook], contextSize: 20, dtype: .f16, chunkRows: 64))
        let store = F.temporaryPath(self, "shakespeare")
        _ = try ingester.run(store: store, sources: ["s"], open: { _, skip in ParagraphDocuments(paragraphs: paragraphs, next: skip) })
        let reader = try StoreReader(path: store)
        let expected = paragraphs.flatMap { paragraph -> [[UInt32]] in
            let ids = tokenizer.encodeWithSpans(paragraph).map(\.id)
            return Ingester.windows(tokenCount: ids.count, tokensPerWindow: 19).map { [GPT2Tokenizer.endOfTextID] + ids[$0] }
        }
        let tokens = try RowTokens(reader: reader, rows: 0..<reader.rowCount)
        XCTAssertEqual(tokens.windows.map { Array(tokens.tokens(of: $0)) }, expected)
    }

    /// BOS rows and rows below the minimum position are neither measured nor spliced.
    func testSpecialTokensAndLowPositionsAreLeftOut() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents(), bos: true)
        let reader = try StoreReader(path: store)
        let tokens = try RowTokens(reader: reader, rows: 0..<reader.rowCount)
        let bosRows = tokens.tokenIDs.filter { $0 == GPT2Tokenizer.endOfTextID }.count
        XCTAssertEqual(bosRows, tokens.windows.count)
        let sae = try F.randomSAE()
        let directory = try F.saeDirectory(self, sae)

        let result = try evaluate(store: store, sae: directory, model: model)
        XCTAssertEqual(result.excludedRowCount, bosRows)
        XCTAssertEqual(result.reconstruction.rowCount, reader.rowCount - bosRows)
        XCTAssertEqual(result.downstream?.splicedRowCount, reader.rowCount - bosRows)
        let reference = try EvaluationReference.reconstruction(sae, reader: reader, column: F.hook, rows: 0..<reader.rowCount) {
            tokens.tokenIDs[$0] != GPT2Tokenizer.endOfTextID
        }
        XCTAssertEqual(result.reconstruction.mse, reference.mse, accuracy: 1e-5 * reference.mse)

        let all = try evaluate(store: store, sae: directory) { $0.excludeSpecialTokens = false }
        XCTAssertEqual(all.excludedRowCount, 0)
        let late = try evaluate(store: store, sae: directory) { $0.minimumPosition = 3 }
        XCTAssertEqual(late.excludedRowCount, tokens.positions.filter { $0 < 3 }.count)
    }

    /// Units that fire on one token only (one-hot rows keyed by token) score share 1 and
    /// entropy 0, for SAE features and residual dimensions alike.
    func testMonosemanticUnitsScoreOne() throws {
        let documents = F.documents(lengths: [120, 90, 75]).map { $0.map { $0 % 16 } }
        let store = try F.syntheticStore(self, documents: documents) { token, row in
            var x = [Float](repeating: 0, count: F.width)
            x[Int(token)] = 1 + Float(row % 7) * 0.1
            return x
        }
        let result = try evaluate(store: store, sae: try F.saeDirectory(self, try F.identitySAE()))
        XCTAssertEqual(result.monosemanticity.map(\.kind), ["SAE features", "residual dimensions"])
        let counts = Dictionary(grouping: documents.flatMap { $0 }, by: { $0 }).mapValues(\.count)
        for kind in result.monosemanticity {
            XCTAssertEqual(kind.measuredUnitCount, counts.values.filter { $0 >= 5 }.count, kind.kind)
            for measure in [MonosemanticityMeasure.topKTokenShare, .tokenMassShare] {
                XCTAssertEqual(kind.summary(measure)?.min, 1, "\(kind.kind) \(measure)")
            }
            XCTAssertEqual(kind.summary(.tokenEntropyBits)?.max, 0, kind.kind)
            XCTAssertLessThan(kind.summary(.pairMassShare)!.median, 1, "previous tokens vary")
        }
        // Latents 16...31 read −x, which is never positive: they never fire.
        XCTAssertEqual(result.reconstruction.deadFeatureCount, 16)
        XCTAssertEqual(result.features?.units.firingRowCount[16...].allSatisfy { $0 == 0 }, true)
    }

    /// The MLP-neuron baseline is read from the model over the windows' rows: each neuron's max
    /// equals the max of the stored layer-1 MLP column (positive part) over the same rows.
    func testNeuronBaselineReadsTheMLPBeforeTheHook() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents())
        let reader = try StoreReader(path: store)
        let rows = 3..<(reader.rowCount - 2)
        let result = try evaluate(store: store, sae: try F.saeDirectory(self, try F.randomSAE()), rows: rows, model: model)
        XCTAssertEqual(result.monosemanticity.map(\.kind), ["SAE features", "MLP neurons", "residual dimensions"])
        let neurons = result.monosemanticity[1]
        XCTAssertEqual(neurons.source, F.neuronHook)
        let tokens = try RowTokens(reader: reader, rows: rows)
        var stored: [Float] = []
        try reader.readRows(column: F.neuronHook, rows: rows, into: &stored)
        let H = 4 * F.width
        var maxima = [Float](repeating: 0, count: H)
        for window in tokens.windows {
            for row in window.rows {
                for j in 0..<H { maxima[j] = max(maxima[j], stored[(row - rows.lowerBound) * H + j]) }
            }
        }
        for j in 0..<H { XCTAssertEqual(neurons.units.maxActivation[j], maxima[j], accuracy: 1e-4 * max(maxima[j], 1), "neuron \(j)") }
        XCTAssertEqual(neurons.rowCount, tokens.windows.map(\.tokenCount).reduce(0, +))
        XCTAssertEqual(result.monosemanticity[0].rowCount, neurons.rowCount, "features and neurons see the same rows")
        XCTAssertEqual(SAEEvaluation.neuronBaselineHook(for: try HookPoint(parsing: "blocks.0.hook_resid_pre")), nil)
        XCTAssertEqual(SAEEvaluation.neuronBaselineHook(for: try HookPoint(parsing: "blocks.4.hook_resid_post"))?.description, "blocks.4.mlp.hook_post")
    }

    /// An SAE whose cfg asks for expected_average_only_in gets s = √d_in / mean‖x‖ from the
    /// store's rows at position ≥ 1, and its reconstructions are scaled back.
    func testNormalisationScaleIsEstimatedAndUndone() throws {
        let store = try F.modelStore(self, model: try F.model(), documents: F.documents())
        let reader = try StoreReader(path: store)
        var x: [Float] = []
        try reader.readRows(column: F.hook, rows: 0..<reader.rowCount, into: &x)
        // Estimated once per store, on its first rows at position ≥ 1 (SAEInputScale).
        let positions = try reader.readIntegers(column: TokenColumn.position, rows: 0..<reader.rowCount)
        var norms = 0.0, counted = 0
        for r in 0..<reader.rowCount where positions[r] >= 1 {
            norms += (0..<F.width).map { Double(x[r * F.width + $0]) * Double(x[r * F.width + $0]) }.reduce(0, +).squareRoot()
            counted += 1
        }
        let scale = Double(F.width).squareRoot() / (norms / Double(counted))
        let exact = try evaluate(store: store, sae: try F.saeDirectory(self, try F.identitySAE(), normalize: "expected_average_only_in"))
        XCTAssertEqual(exact.reconstruction.activationScale, scale, accuracy: 1e-5 * scale)
        XCTAssertEqual(exact.reconstruction.explainedVariance, 1, accuracy: 1e-10)

        let sae = try F.randomSAE()
        let random = try evaluate(store: store, sae: try F.saeDirectory(self, sae, normalize: "expected_average_only_in"))
        let reference = try EvaluationReference.reconstruction(sae, reader: reader, column: F.hook, rows: 0..<reader.rowCount, scale: scale)
        XCTAssertEqual(random.reconstruction.mse, reference.mse, accuracy: 1e-4 * reference.mse)
        XCTAssertEqual(random.reconstruction.l0, reference.l0, accuracy: 1e-9)
    }

    /// Without --rows, a run's held-out rows are the rows after (or before) its training rows.
    func testHeldOutRowsComeFromTheRun() throws {
        let store = try F.syntheticStore(self, documents: F.documents()) { token, row in
            (0..<F.width).map { Float(($0 + Int(token) + row) % 5) - 2 }
        }
        let rowCount = try StoreReader(path: store).rowCount
        func run(firstRow: Int?, endRow: Int?) throws -> String {
            let directory = URL(fileURLWithPath: F.temporaryPath(self, "run"))
            let sae = try F.randomSAE()
            try SAELensExporter.export(sae, metadata: SAELensMetadata(hookName: F.hook), to: directory.appendingPathComponent("sae"))
            let config = TrainRunConfig(store: store, loader: StreamLoaderConfig(column: F.hook, firstRow: firstRow, endRow: endRow),
                                        sae: SAEConfig(architecture: .standard, dIn: F.width), trainer: SAETrainerOptions(), stream: true)
            try JSONEncoder().encode(config).write(to: TrainRun.runConfigURL(directory))
            return directory.path
        }
        var config = EvaluationConfig(sae: try run(firstRow: nil, endRow: 150))
        var result = try SAEEvaluation.run(config)
        XCTAssertEqual(result.store, store, "the store comes from run.json")
        XCTAssertEqual([result.firstRow, result.endRow], [150, rowCount])
        XCTAssertEqual(result.rowSelection, "held out")
        config.sae += "/sae"
        XCTAssertEqual(try SAEEvaluation.run(config).firstRow, 150, "the sae/ directory of a run finds its run.json")

        result = try SAEEvaluation.run(EvaluationConfig(sae: try run(firstRow: 40, endRow: nil)))
        XCTAssertEqual([result.firstRow, result.endRow], [0, 40])
        XCTAssertThrowsError(try SAEEvaluation.run(EvaluationConfig(sae: try run(firstRow: nil, endRow: nil)))) { error in
            guard case EvaluationError.noHeldOutRows = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("--rows"), "\(error)")
        }
        result = try SAEEvaluation.run(EvaluationConfig(sae: try F.saeDirectory(self, try F.randomSAE()), store: store, maxRowCount: 100))
        XCTAssertEqual([result.firstRow, result.endRow], [0, 100])
        XCTAssertEqual(result.rowSelection, "all")
    }

    func testBadInputsAreRefusedWithClearErrors() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents(lengths: [30, 20]))
        let good = try F.saeDirectory(self, try F.randomSAE())
        func expect(_ body: @autoclosure () throws -> EvaluationResult, _ mentions: [String],
                    file: StaticString = #filePath, line: UInt = #line, check: (Error) -> Bool) {
            XCTAssertThrowsError(try body(), file: file, line: line) { error in
                XCTAssertTrue(check(error), "\(error)", file: file, line: line)
                for text in mentions { XCTAssertTrue("\(error)".contains(text), "\(error) should mention \(text)", file: file, line: line) }
            }
        }
        let narrow = try F.saeDirectory(self, try F.randomSAE(width: 8))
        expect(try self.evaluate(store: store, sae: narrow), ["d_in 8", "16 wide"]) {
            if case FeaturesError.widthMismatch = $0 { return true } else { return false }
        }
        expect(try self.evaluate(store: store, sae: good) { $0.hook = "blocks.7.hook_resid_pre" }, ["blocks.7.hook_resid_pre", F.hook]) {
            if case EvaluationError.hookNotInStore = $0 { return true } else { return false }
        }
        expect(try self.evaluate(store: store, sae: good) { $0.hook = TokenColumn.tokenID }, ["integers"]) {
            if case EvaluationError.notActivations = $0 { return true } else { return false }
        }
        expect(try self.evaluate(store: store, sae: good, model: try F.model(layers: 2)), ["2 blocks", F.hook]) {
            if case EvaluationError.hookNotInModel = $0 { return true } else { return false }
        }
        expect(try self.evaluate(store: store, sae: good, model: try F.model(seed: 99)), ["differ"]) {
            if case EvaluationError.modelMismatch = $0 { return true } else { return false }
        }
        expect(try self.evaluate(store: store, sae: store), ["sae/cfg.json"]) {
            if case EvaluationError.notAnSAE = $0 { return true } else { return false }
        }
        expect(try self.evaluate(store: store, sae: good) { $0.topK = 0 }, ["top-k"]) {
            if case EvaluationError.invalidArgument = $0 { return true } else { return false }
        }
        // An imported store has no token metadata: reconstruction works, the model cannot run.
        let imported = F.temporaryPath(self, "imported")
        let writer = try StoreWriter.create(at: imported, manifest: StoreManifest(
            columns: [ColumnSpec(name: F.hook, width: F.width, codec: .f32)], chunkRows: 16, hasDocuments: false))
        try writer.appendRows([F.hook: (0..<(40 * F.width)).map { Float($0 % 7) - 3 }], rowCount: 40)
        try writer.commit()
        let bare = try evaluate(store: imported, sae: good)
        XCTAssertEqual(bare.reconstruction.rowCount, 40)
        XCTAssertTrue(bare.monosemanticity.isEmpty)
        expect(try self.evaluate(store: imported, sae: good, model: model), ["token_id"]) {
            if case EvaluationError.missingTokenColumn = $0 { return true } else { return false }
        }
    }

    /// evaluation.json reads back equal, and the table names every part.
    func testResultRoundTripsThroughJSONAndPrintsATable() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents())
        let result = try evaluate(store: store, sae: try F.saeDirectory(self, try F.randomSAE()), model: model)
        let directory = URL(fileURLWithPath: F.temporaryPath(self, "out"))
        let url = try result.write(to: directory)
        XCTAssertEqual(try EvaluationResult.read(from: url), result)
        let table = result.table()
        for text in ["fraction of variance explained", "CE loss recovered", "SAE features", "MLP neurons",
                     "residual dimensions", "top-5 same token", "dense features"] {
            XCTAssertTrue(table.contains(text), "table lacks \(text):\n\(table)")
        }
    }
}

/// Paragraphs as ingest documents.
private struct ParagraphDocuments: IngestDocumentStream {
    let paragraphs: [String]
    var next: Int
    var badLineCount: Int { 0 }
    mutating func nextDocument() throws -> (text: String, index: Int)? {
        guard next < paragraphs.count else { return nil }
        defer { next += 1 }
        return (paragraphs[next], next)
    }
}
