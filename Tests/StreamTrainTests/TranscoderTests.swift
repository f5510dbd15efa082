import ActStore
import TensorIO
import Foundation
import XCTest
@testable import StreamTrain

/// Transcoders (docs/SAE.md, "Transcoders"): the sgemm step against the Double reference, the
/// reference against finite differences, the paired loader, exact resume, and the export.
final class TranscoderTests: XCTestCase {
    /// (activation, skip connection, k): every branch of the transcoder step.
    let cases: [(SAEArchitecture, Bool, Int)] = [(.standard, false, 0), (.standard, true, 0), (.topk, false, 4), (.topk, true, 4)]

    static func makeTranscoder(_ architecture: SAEArchitecture, dIn C: Int, dSAE H: Int, k: Int, skip: Bool,
                               seed: UInt64 = 1) -> SparseAutoencoder {
        var rng = SeededGenerator(seed: seed)
        let weights = SAEWeights(
            wEnc: (0..<(C * H)).map { _ in rng.nextSymmetric(bound: 0.5) },
            bEnc: (0..<H).map { _ in rng.nextSymmetric(bound: 0.2) },
            wDec: (0..<(H * C)).map { _ in rng.nextSymmetric(bound: 0.5) },
            bDec: (0..<C).map { _ in rng.nextSymmetric(bound: 0.2) },
            wSkip: skip ? (0..<(C * C)).map { _ in rng.nextSymmetric(bound: 0.3) } : [])
        return try! SparseAutoencoder(architecture: architecture, dIn: C, dSAE: H, k: k, applyBDecToInput: false,
                                      weights: weights, transcoder: TranscoderOptions(targetColumn: "out", skipConnection: skip))
    }

    func testReferenceGradientsMatchFiniteDifferences() {
        // Central differences in Double (h = 1e-6), as SAEGradientTests does for the SAEs.
        let C = 5, H = 12, B = 7, lambda = 0.05, h = 1e-6
        for (architecture, skip, k) in cases {
            let sae = Self.makeTranscoder(architecture, dIn: C, dSAE: H, k: k, skip: skip)
            let x = TestSAE.batch(rowCount: B, dIn: C).map(Double.init)
            let y = TestSAE.batch(rowCount: B, dIn: C, seed: 3).map(Double.init)
            let w = SAEReference.Weights(sae.weights)
            var analytic = SAEReference.transcoderLossAndGradients(sae, weights: w, x: x, target: y, rowCount: B,
                                                                   l1Coefficient: lambda).gradients
            let label = "\(architecture) skip=\(skip)"
            if skip {
                // The shared helper knows the SAE tensors; W_skip is checked here.
                for i in [0, 3, 7, 12, 24] {
                    var plus = w, minus = w
                    plus.wSkip[i] += h
                    minus.wSkip[i] -= h
                    let f = { (v: SAEReference.Weights) in
                        SAEReference.transcoderLossAndGradients(sae, weights: v, x: x, target: y, rowCount: B,
                                                                l1Coefficient: lambda).forward.total
                    }
                    XCTAssertEqual(analytic.wSkip[i], (f(plus) - f(minus)) / (2 * h), accuracy: 1e-6, "\(label) W_skip[\(i)]")
                }
                analytic.wSkip = w.wSkip.map { _ in 0 }
            }
            assertGradientsMatchFiniteDifferences(analytic, at: w, h: h, label) {
                SAEReference.transcoderLossAndGradients(sae, weights: $0, x: x, target: y, rowCount: B,
                                                        l1Coefficient: lambda).forward.total
            }
        }
    }

    func testFastPathMatchesReference() {
        // Float sgemm vs Double loops, the tolerances of SAEGradientTests (1e-4 of the largest value).
        for (C, H, B) in [(5, 12, 7), (16, 64, 32)] {
            for (architecture, skip, k) in cases {
                let sae = Self.makeTranscoder(architecture, dIn: C, dSAE: H, k: k, skip: skip)
                let x = TestSAE.batch(rowCount: B, dIn: C)
                let y = TestSAE.batch(rowCount: B, dIn: C, seed: 3)
                let lambda = 0.05
                var ws = SAEWorkspace(sae: sae, maxRowCount: B + 3)
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H, skipConnection: skip)
                let fast = sae.transcoderLossAndGradients(x, target: y, rowCount: B, l1Coefficient: lambda,
                                                          workspace: &ws, gradients: &g)
                let (fwd, ref) = SAEReference.transcoderLossAndGradients(
                    sae, weights: SAEReference.Weights(sae.weights), x: x.map(Double.init), target: y.map(Double.init),
                    rowCount: B, l1Coefficient: lambda)
                let label = "\(architecture) skip=\(skip) C\(C) H\(H)"
                XCTAssertEqual(fast.mse, fwd.mse, accuracy: 1e-5 * fwd.mse, label)
                XCTAssertEqual(fast.l1, fwd.l1, accuracy: 1e-5 * max(fwd.l1, 1e-9), label)
                XCTAssertEqual(fast.total, fwd.total, accuracy: 1e-5 * fwd.total, label)
                XCTAssertEqual(fast.activeLatentCount, fwd.latents.filter { $0 > 0 }.count, label)
                assertClose(g.wEnc.map(Double.init), ref.wEnc, relative: 1e-4, absolute: 1e-7, "\(label) dW_enc")
                assertClose(g.bEnc.map(Double.init), ref.bEnc, relative: 1e-4, absolute: 1e-7, "\(label) db_enc")
                assertClose(g.wDec.map(Double.init), ref.wDec, relative: 1e-4, absolute: 1e-7, "\(label) dW_dec")
                assertClose(g.bDec.map(Double.init), ref.bDec, relative: 1e-4, absolute: 1e-7, "\(label) db_dec")
                assertClose(g.wSkip.map(Double.init), ref.wSkip, relative: 1e-4, absolute: 1e-7, "\(label) dW_skip")
            }
        }
    }

    // MARK: - paired loader

    /// A store with columns "in" and "out" (4 wide each) and "other" (3 wide): row r's "in"
    /// starts with r, its "out" with −r, so a pair's halves name their rows.
    static func makePairedStore(_ test: XCTestCase, docCount: Int = 40, tokens: Int = 50, chunkRows: Int = 64) throws -> String {
        let path = NSTemporaryDirectory() + "transcoder-\(UUID().uuidString.prefix(8))"
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let columns = TokenColumn.all + [ColumnSpec(name: "in", width: 4, codec: .f32), ColumnSpec(name: "out", width: 4, codec: .f32),
                                         ColumnSpec(name: "other", width: 3, codec: .f32)]
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: columns, chunkRows: chunkRows, hasDocuments: true))
        var row = 0
        var rng = SeededGenerator(seed: 11)
        for doc in 0..<docCount {
            var input: [Float] = [], output: [Float] = [], other: [Float] = []
            for t in 0..<tokens {
                let a = rng.nextSymmetric(bound: 1), b = rng.nextSymmetric(bound: 1), c = rng.nextSymmetric(bound: 1)
                input += [Float(row + t), a, b, c]
                // A target the transcoder can learn: a ReLU of a mix of the input, plus a linear part.
                output += [-Float(row + t), max(a + b, 0), 0.5 * c - a, max(b - c, 0)]
                other += [0, 0, 0]
            }
            try writer.append(DocumentRows(text: String(repeating: "x", count: tokens), source: "s", sourceIndex: doc,
                                           tokenIDs: .init(repeating: 1, count: tokens), positions: (0..<tokens).map { UInt32($0) },
                                           byteStarts: (0..<tokens).map { UInt32($0) }, byteEnds: (0..<tokens).map { UInt32($0 + 1) },
                                           activations: ["in": input, "out": output, "other": other]))
            row += tokens
            if doc % 7 == 6 { try writer.commit() }
        }
        try writer.commit()
        return path
    }

    func testPairedBatchesHaveTheSameRowsInBothHalves() throws {
        let reader = try StoreReader(path: try Self.makePairedStore(self))
        let config = StreamLoaderConfig(column: "in", shuffleBufferRows: 300, workerCount: 2, seed: 7, targetColumn: "out")
        let source = try StoreBatchSource(reader: reader, config: config)
        XCTAssertEqual(source.rowWidth, 8)
        let single = try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: "in", shuffleBufferRows: 300,
                                                                                      workerCount: 2, seed: 7))
        var out = [Float](repeating: 0, count: 32 * 8), plain = [Float](repeating: 0, count: 32 * 4)
        var seen = Set<Int>()
        while true {
            let n = try source.nextBatch(into: &out, maxRowCount: 32)
            let m = try single.nextBatch(into: &plain, maxRowCount: 32)
            XCTAssertEqual(n, m)
            if n == 0 { break }
            // The same shuffle as the single column: pairing does not change which rows come when.
            XCTAssertEqual(source.lastBatchRows, single.lastBatchRows)
            for i in 0..<n {
                let row = source.lastBatchRows[i]
                XCTAssertEqual(Int(out[i * 8]), row)
                XCTAssertEqual(Int(-out[i * 8 + 4]), row)
                XCTAssertEqual(Array(out[(i * 8)..<(i * 8 + 4)]), Array(plain[(i * 4)..<(i * 4 + 4)]))
                seen.insert(row)
            }
        }
        XCTAssertEqual(seen.count, reader.rowCount)
    }

    func testMismatchedTargetColumnIsRefusedNamingBoth() throws {
        let reader = try StoreReader(path: try Self.makePairedStore(self))
        XCTAssertThrowsError(try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: "in", targetColumn: "other"))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("in") && message.contains("other"), message)
        }
        XCTAssertThrowsError(try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: "in", targetColumn: "missing")))
    }

    func transcoderConfig(_ architecture: SAEArchitecture, skip: Bool) -> SAEConfig {
        var config = SAEConfig(architecture: architecture, dIn: 4)
        config.dSAE = 16
        config.k = architecture == .topk ? 3 : 0
        config.l1Coefficient = architecture == .topk ? 0 : 1e-3
        config.applyBDecToInput = false
        config.batchSize = 32
        config.epochs = 3
        config.seed = 4
        config.transcoder = TranscoderOptions(targetColumn: "out", skipConnection: skip)
        return config
    }

    func testKilledAndResumedRunIsBitwiseTheUninterruptedOne() throws {
        let path = try Self.makePairedStore(self)
        let loader = StreamLoaderConfig(column: "in", shuffleBufferRows: 200, workerCount: 2, seed: 3, targetColumn: "out")
        for (architecture, skip, _) in cases {
            let config = transcoderConfig(architecture, skip: skip)
            let total = 100, half = 37
            let options = SAETrainerOptions(logIntervalSteps: 10, featureFrequencyWindowTokens: 500, maxSteps: total)
            var straightSource = try StoreBatchSource(reader: try StoreReader(path: path), config: loader)
            let straight = try SAETrainer(config: config, options: options)
            try straight.train(source: &straightSource)

            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = CheckpointStore(directory: dir, keptCount: 2)
            var halfOptions = options
            halfOptions.maxSteps = half
            var firstSource = try StoreBatchSource(reader: try StoreReader(path: path), config: loader)
            let first = try SAETrainer(config: config, options: halfOptions)
            try first.train(source: &firstSource, checkpoints: store)
            let checkpoint = try XCTUnwrap(try store.loadLatest())
            XCTAssertEqual(checkpoint.weights.wSkip.count, skip ? 16 : 0)
            let resumed = try SAETrainer(resumingFrom: checkpoint, options: options)
            var freshSource = try StoreBatchSource(reader: try StoreReader(path: path), config: loader)
            try resumed.train(source: &freshSource, checkpoints: store)
            let label = "\(architecture) skip=\(skip)"
            XCTAssertEqual(resumed.sae.weights, straight.sae.weights, "\(label) weights")
            XCTAssertEqual(resumed.optimizer.state, straight.optimizer.state, "\(label) Adam")
            XCTAssertEqual(resumed.state, straight.state, "\(label) counters")
        }
    }

    func testTrainingLearnsTheTarget() throws {
        // The target is a ReLU map of the input (makePairedStore, minus its row-number column's
        // sign flip, which a linear skip connection carries): the loss must fall a long way.
        let path = try Self.makePairedStore(self)
        let loader = StreamLoaderConfig(column: "in", shuffleBufferRows: 500, seed: 3, targetColumn: "out")
        for skip in [false, true] {
            var config = transcoderConfig(.standard, skip: skip)
            config.learningRate = 3e-3
            let trainer = try SAETrainer(config: config, options: SAETrainerOptions(logIntervalSteps: 50, maxSteps: 150))
            var source = try StoreBatchSource(reader: try StoreReader(path: path), config: loader)
            let first = try trainer.step(rows: try Self.firstBatch(source: &source, rows: 32), rowCount: 32)
            let summary = try trainer.train(source: &source)
            let last = try XCTUnwrap(summary.lastMetrics)
            XCTAssertLessThan(last.mse, first.mse * 0.5, "skip=\(skip): mse \(first.mse) -> \(last.mse)")
        }
    }

    static func firstBatch(source: inout StoreBatchSource, rows: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: rows * source.rowWidth)
        _ = try source.nextBatch(into: &out, maxRowCount: rows)
        return out
    }

    // MARK: - export

    func testExportIsSAELensTranscoder() throws {
        for skip in [false, true] {
            let sae = Self.makeTranscoder(.standard, dIn: 4, dSAE: 16, k: 0, skip: skip)
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let metadata = SAELensMetadata(modelName: "demo", hookName: "blocks.2.ln2.hook_normalized", hookLayer: 2,
                                           contextSize: 128, prependBos: false, datasetPath: "s")
            try SAELensExporter.export(sae, metadata: metadata, to: dir)
            let cfg = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cfg.json"))) as? [String: Any])
            XCTAssertEqual(cfg["architecture"] as? String, skip ? "skip_transcoder" : "transcoder")
            XCTAssertEqual(cfg["d_out"] as? Int, 4)
            XCTAssertEqual(cfg["apply_b_dec_to_input"] as? Bool, false)
            XCTAssertEqual((cfg["metadata"] as? [String: Any])?["hook_name_out"] as? String, "out")
            let file = try SafetensorsFile(path: dir.appendingPathComponent("sae_weights.safetensors").path)
            XCTAssertEqual(try file.floats("W_dec"), sae.weights.wDec)
            if skip { XCTAssertEqual(try file.floats("W_skip"), sae.weights.wSkip) }
        }
        let topk = Self.makeTranscoder(.topk, dIn: 4, dSAE: 16, k: 3, skip: false)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try SAELensExporter.export(topk, metadata: SAELensMetadata(modelName: "m", hookName: "h", hookLayer: 0,
                                                                                         contextSize: 1, prependBos: false, datasetPath: "s"),
                                                         to: dir))
    }
}
