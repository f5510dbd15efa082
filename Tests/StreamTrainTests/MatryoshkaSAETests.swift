import TensorIO
import XCTest
@testable import StreamTrain

/// The matryoshka SAE (`SparseAutoencoder+Matryoshka.swift`): the Double reference against
/// finite differences, the dense and sparse steps against the reference, and the trainer
/// against SAELens 6.54's own `MatryoshkaBatchTopKTrainingSAE`
/// (scripts/fixtures/sae_parity_matryoshka.py).
final class MatryoshkaSAETests: XCTestCase {
    func make(C: Int, H: Int, applyBDecToInput: Bool) -> SparseAutoencoder {
        let base = TestSAE.make(.standard, dIn: C, dSAE: H)
        var weights = base.weights
        weights.threshold = [Float](repeating: 0, count: H)
        return try! SparseAutoencoder(architecture: .matryoshka, dIn: C, dSAE: H, k: 3,
                                      applyBDecToInput: applyBDecToInput, weights: weights)
    }

    func testReferenceGradientsMatchFiniteDifferences() {
        // Central differences, h = 1e-6, as SAEThresholdGradientTests: the selection is piecewise
        // constant and the random data keeps the batch's k·B-th value away from its neighbours.
        let C = 5, H = 12, B = 7, h = 1e-6
        for applyBDec in [true, false] {
            for widths in [[3, 7, 12], [5, 12], [12]] {
                let sae = make(C: C, H: H, applyBDecToInput: applyBDec)
                let x = TestSAE.batch(rowCount: B, dIn: C).map(Double.init)
                let w = SAEReference.Weights(sae.weights)
                let step = SAEReference.matryoshkaStep(sae, weights: w, x: x, rowCount: B, widths: widths)
                XCTAssertEqual(step.levelLosses.count, widths.count)
                assertGradientsMatchFiniteDifferences(step.gradients, at: w, h: h, "widths \(widths) applyBDec \(applyBDec)") {
                    SAEReference.matryoshkaStep(sae, weights: $0, x: x, rowCount: B, widths: widths).total
                }
            }
        }
        // One level is BatchTopK: the reference agrees with the batchtopk reference.
        let sae = make(C: C, H: H, applyBDecToInput: true)
        let x = TestSAE.batch(rowCount: B, dIn: C).map(Double.init)
        let w = SAEReference.Weights(sae.weights)
        let one = SAEReference.matryoshkaStep(sae, weights: w, x: x, rowCount: B, widths: [H])
        let batchTopK = try! SparseAutoencoder(architecture: .batchtopk, dIn: C, dSAE: H, k: 3, applyBDecToInput: true,
                                               weights: sae.weights)
        let plain = SAEReference.thresholdStep(batchTopK, weights: w, x: x, rowCount: B, terms: nil)
        XCTAssertEqual(one.total, plain.total, accuracy: 1e-12 * plain.total)
        assertClose(one.gradients.wEnc, plain.gradients.wEnc, relative: 1e-12, absolute: 0, "one level = batchtopk")
    }

    func testDenseAndSparsePathsMatchReference() {
        // Float kernels vs Double loops: 1e-4 of the largest value, as SAEThresholdGradientTests.
        for (C, H, B, widths) in [(5, 12, 7, [3, 7, 12]), (16, 64, 32, [8, 24, 64]), (16, 64, 32, [1, 63, 64])] {
            for applyBDec in [true, false] {
                let sae = make(C: C, H: H, applyBDecToInput: applyBDec)
                let x = TestSAE.batch(rowCount: B, dIn: C)
                let ref = SAEReference.matryoshkaStep(sae, weights: SAEReference.Weights(sae.weights), x: x.map(Double.init),
                                                      rowCount: B, widths: widths)
                for kernels in [SAEKernelMode.dense, .sparse] {
                    var ws = SAEWorkspace(sae: sae, maxRowCount: B + 3)
                    ws.training = true
                    ws.zeroesUnfiredDecoderRows = true
                    var g = SAEWeights(zerosFor: .matryoshka, dIn: C, dSAE: H)
                    let fast = sae.lossAndGradients(x, rowCount: B, l1Coefficient: 0, workspace: &ws, gradients: &g,
                                                    kernels: kernels, matryoshkaWidths: widths)
                    let label = "matryoshka \(widths) applyBDec \(applyBDec) \(kernels) C\(C) H\(H)"
                    XCTAssertEqual(ws.lastStepWasSparse, kernels == .sparse, label)
                    XCTAssertEqual(fast.mse, ref.mse, accuracy: 1e-5 * ref.mse, label)
                    XCTAssertEqual(fast.total, ref.total, accuracy: 1e-5 * ref.total, label)
                    XCTAssertEqual(fast.innerReconstruction, ref.levelLosses.dropLast().reduce(0, +),
                                   accuracy: 1e-5 * ref.total, label)
                    XCTAssertEqual(fast.activeLatentCount, ref.latents.filter { $0 > 0 }.count, label)
                    assertClose(Array(ws.acts[0..<(B * H)]).map(Double.init), ref.latents, relative: 1e-5, absolute: 0, "\(label) f")
                    let names = ["W_enc", "b_enc", "W_dec", "b_dec"]
                    let theirs = ref.gradients
                    let wanted = [theirs.wEnc, theirs.bEnc, theirs.wDec, theirs.bDec]
                    for i in 0..<4 {
                        assertClose(g.tensors[i].map(Double.init), wanted[i], relative: 1e-4, absolute: 1e-7, "\(label) d\(names[i])")
                    }
                }
            }
        }
    }

    func testConfigWidthsAreValidatedAndCompletedAsSAELensDoes() throws {
        var config = SAEConfig(architecture: .matryoshka, dIn: 16)
        config.dSAE = 64
        XCTAssertThrowsError(try config.validate(), "widths are required")
        for bad in [[], [8, 8, 64], [24, 8], [0, 64], [8, 65]] {
            config.matryoshkaWidths = bad
            XCTAssertThrowsError(try config.validate(), "\(bad)")
        }
        config.matryoshkaWidths = [8, 24]
        XCTAssertNoThrow(try config.validate())
        XCTAssertEqual(config.resolvedMatryoshkaWidths, [8, 24, 64], "the full width is appended")
        config.matryoshkaWidths = [8, 24, 64]
        XCTAssertEqual(config.resolvedMatryoshkaWidths, [8, 24, 64])
        let decoded = try JSONDecoder().decode(SAEConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(decoded, config)
        var other = SAEConfig(architecture: .batchtopk, dIn: 16)
        other.matryoshkaWidths = [8]
        XCTAssertThrowsError(try other.validate(), "widths only for matryoshka")
        XCTAssertEqual(SAEArchitecture.matryoshka.defaultL1Coefficient, 0)
        XCTAssertTrue(SAEArchitecture.matryoshka.hasThreshold && SAEArchitecture.matryoshka.usesK)
    }

    /// Tolerances: loss terms (total, full-width MSE, the sum of the inner terms and each inner
    /// term, AuxK's) within 1e-4 relative at every step; the running threshold within 1e-5
    /// relative; final weights and thresholds within 1e-4 absolute (weights are O(0.1–1)). The
    /// measured maxima are printed.
    func check(_ name: String, kernels: SAEKernelMode, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = packageRoot.appendingPathComponent("Tests/StreamTrainTests/Fixtures/saelens_parity_\(name).safetensors").path
        let fixture = try SafetensorsFile(path: path)
        let meta = fixture.metadata
        XCTAssertEqual(meta["architecture"], "matryoshka")
        let C = try XCTUnwrap(Int(meta["d_in"] ?? "")), H = try XCTUnwrap(Int(meta["d_sae"] ?? ""))
        let B = try XCTUnwrap(Int(meta["batch_rows"] ?? "")), steps = try XCTUnwrap(Int(meta["steps"] ?? ""))
        let extra = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((meta["config"] ?? "{}").utf8)) as? [String: Any])
        let widths = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((meta["matryoshka_widths"] ?? "").utf8)) as? [Int])
        var config = SAEConfig(architecture: .matryoshka, dIn: C)
        config.dSAE = H
        config.batchSize = B
        config.learningRate = try XCTUnwrap(Double(meta["learning_rate"] ?? ""))
        config.k = try XCTUnwrap(extra["k"] as? Int)
        config.topkThresholdLearningRate = try XCTUnwrap(extra["topk_threshold_lr"] as? Double)
        if let alpha = extra["aux_loss_coefficient"] as? Double { config.auxKCoefficient = alpha }
        config.matryoshkaWidths = widths
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: kernels))
        func weights(_ prefix: String) throws -> SAEWeights {
            SAEWeights(wEnc: try fixture.floats("\(prefix).W_enc"), bEnc: try fixture.floats("\(prefix).b_enc"),
                       wDec: try fixture.floats("\(prefix).W_dec"), bDec: try fixture.floats("\(prefix).b_dec"),
                       threshold: try fixture.floats("\(prefix).threshold"))
        }
        try trainer.replaceWeights(try weights("init"))
        if config.auxKCoefficient > 0 { trainer.auxKDeadMaskOverride = try fixture.floats("dead_mask").map { $0 != 0 } }
        let x = try fixture.floats("x")
        let loss = try fixture.floats("loss"), mse = try fixture.floats("mse_loss"), inner = try fixture.floats("inner_loss")
        let aux = try fixture.floats("aux_loss"), thresholds = try fixture.floats("topk_threshold")
        var worstLoss = 0.0
        for s in 0..<steps {
            let rows = Array(x[(s * B * C)..<((s + 1) * B * C)])
            let got = try trainer.step(rows: rows, rowCount: B)
            // SAELens' mse_loss sums over d_in; the metrics' mse is the per-element mean.
            let terms = [(got.total, loss[s], "loss"), (got.mse * Double(C), mse[s], "mse"),
                         (got.innerReconstruction, inner[s], "inner"), (got.auxiliary, aux[s], "aux")]
            for (ours, theirs, term) in terms {
                let relative = abs(ours - Double(theirs)) / max(abs(Double(theirs)), 1e-12)
                if theirs != 0 { worstLoss = max(worstLoss, relative) }
                XCTAssertTrue(theirs == 0 ? abs(ours) < 1e-9 : relative <= 1e-4,
                              "\(name) step \(s) \(term): \(ours) vs SAELens \(theirs)", file: file, line: line)
            }
            let theta = try XCTUnwrap(trainer.state.batchTopKThreshold)
            XCTAssertEqual(theta, Double(thresholds[s]), accuracy: 1e-5 * max(1, abs(theta)),
                           "\(name) step \(s) topk_threshold", file: file, line: line)
        }
        let final = try weights("final")
        var worstWeight: Float = 0
        let ours = trainer.sae.weights.tensors + [trainer.sae.weights.threshold]
        let theirs = final.tensors + [final.threshold]
        for (i, tensorName) in (SAEWeights.tensorNames + ["threshold"]).enumerated() {
            XCTAssertEqual(ours[i].count, theirs[i].count, "\(name) \(tensorName) size", file: file, line: line)
            for j in 0..<min(ours[i].count, theirs[i].count) { worstWeight = max(worstWeight, abs(ours[i][j] - theirs[i][j])) }
        }
        XCTAssertLessThanOrEqual(worstWeight, 1e-4, "\(name): worst final weight difference", file: file, line: line)
        if kernels == .sparse { XCTAssertEqual(trainer.sparseStepCount, steps, "every step on the sparse kernels") }
        // Not a timing: the measured agreement, for the record in the test log.
        print("SAELens parity \(name) (\(kernels)): worst loss-term relative difference \(worstLoss), worst weight difference \(worstWeight), sparse steps \(trainer.sparseStepCount)")
    }

    func testMatchesSAELens() throws { try check("matryoshka", kernels: .dense) }
    func testSparseKernelsMatchSAELens() throws { try check("matryoshka", kernels: .sparse) }
    func testAuxKMatchesSAELens() throws { try check("matryoshka_auxk", kernels: .dense) }
    func testAuxKSparseKernelsMatchSAELens() throws { try check("matryoshka_auxk", kernels: .sparse) }
}
