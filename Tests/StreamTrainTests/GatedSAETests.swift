import Foundation
import TensorIO
import XCTest
@testable import StreamTrain

/// The gated SAE: the Double reference against finite differences, the Float sgemm path
/// against the reference, and the trainer against SAELens 6.54's own GatedTrainingSAE
/// (scripts/fixtures/sae_parity_gated.py: same initial weights, batches and hyperparameters,
/// torch Adam).
final class GatedSAETests: XCTestCase {
    func make(C: Int, H: Int, applyBDec: Bool = true, seed: UInt64 = 1) -> SparseAutoencoder {
        TestSAE.gated(dIn: C, dSAE: H, applyBDecToInput: applyBDec, seed: seed)
    }

    static let paths: [(String, WritableKeyPath<SAEReference.Weights, [Double]>)] =
        [("W_enc", \.wEnc), ("b_gate", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec), ("r_mag", \.rMag), ("b_mag", \.bMag)]

    func testReferenceGradientsMatchFiniteDifferences() {
        // Central differences, h = 1e-6, as SAEGradientTests; the random data keeps every
        // π_gate and π_mag away from 0 at this h (the gate is a step, so the loss jumps there).
        let C = 5, H = 12, B = 7, h = 1e-6, lambda = 0.3
        for applyBDec in [true, false] {
            let sae = make(C: C, H: H, applyBDec: applyBDec)
            let x = TestSAE.batch(rowCount: B, dIn: C).map(Double.init)
            let w = SAEReference.Weights(sae.weights)
            let step = SAEReference.gatedStep(sae, weights: w, x: x, rowCount: B, l1Coefficient: lambda)
            // Every kind of entry occurs: gate closed, gate open with π_mag ≤ 0, and f > 0.
            let open = step.latents.filter { $0 > 0 }.count, gateOpen = step.gateActivations.filter { $0 > 0 }.count
            XCTAssertTrue(open > 0 && gateOpen > open && gateOpen < B * H, "open \(open), gate open \(gateOpen) of \(B * H)")
            XCTAssertGreaterThan(step.auxiliary, 0)
            assertGradientsMatchFiniteDifferences(step.gradients, at: w, tensors: Self.paths, h: h, "gated applyBDec \(applyBDec)") {
                SAEReference.gatedStep(sae, weights: $0, x: x, rowCount: B, l1Coefficient: lambda).total
            }
        }
    }

    func testSgemmPathMatchesReference() {
        // Float kernels vs Double loops: 1e-4 of the largest value, as SAEGradientTests.
        for (C, H, B) in [(5, 12, 7), (16, 64, 32), (24, 40, 9)] {
            for applyBDec in [true, false] {
                let sae = make(C: C, H: H, applyBDec: applyBDec, seed: UInt64(C))
                let x = TestSAE.batch(rowCount: B, dIn: C, seed: UInt64(H))
                let lambda = 0.2
                let ref = SAEReference.gatedStep(sae, weights: SAEReference.Weights(sae.weights), x: x.map(Double.init),
                                                 rowCount: B, l1Coefficient: lambda)
                for kernels in [SAEKernelMode.dense, .sparse, .auto] {
                    var ws = SAEWorkspace(sae: sae, maxRowCount: B + 3)
                    ws.training = true
                    var g = SAEWeights(zerosFor: .gated, dIn: C, dSAE: H)
                    let fast = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &ws, gradients: &g,
                                                    kernels: kernels)
                    let label = "gated applyBDec \(applyBDec) \(kernels) C\(C) H\(H) B\(B)"
                    XCTAssertFalse(ws.lastStepWasSparse, "\(label): the gated SAE has no sparse kernels")
                    XCTAssertEqual(fast.mse, ref.mse, accuracy: 1e-5 * ref.mse, label)
                    XCTAssertEqual(fast.l1, ref.l1, accuracy: 1e-5 * ref.l1, label)
                    XCTAssertEqual(fast.auxiliary, ref.auxiliary, accuracy: 1e-5 * ref.auxiliary, label)
                    XCTAssertEqual(fast.total, ref.total, accuracy: 1e-5 * ref.total, label)
                    XCTAssertEqual(fast.activeLatentCount, ref.latents.filter { $0 > 0 }.count, label)
                    XCTAssertEqual(ws.firedRowCounts.reduce(0) { $0 + Int($1) }, fast.activeLatentCount, label)
                    assertClose(Array(ws.acts[0..<(B * H)]).map(Double.init), ref.latents, relative: 1e-5, absolute: 0, "\(label) f")
                    let ours = [g.wEnc, g.bEnc, g.wDec, g.bDec, g.rMag, g.bMag]
                    for (i, (name, path)) in Self.paths.enumerated() {
                        assertClose(ours[i].map(Double.init), ref.gradients[keyPath: path], relative: 1e-4, absolute: 1e-7,
                                    "\(label) d\(name)")
                    }
                }
                // Encoding for analysis gives the training step's f.
                assertClose(sae.encode(x, rowCount: B).map(Double.init), ref.latents, relative: 1e-5, absolute: 0,
                            "gated encode C\(C) H\(H)")
            }
        }
    }

    func testTrainingIsTheSameForAnyKernelThreadCount() throws {
        // Every pooled pass of the gated step gives each element to one part and sums over rows
        // in row order, so 1 and 3 kernel threads train bitwise the same SAE.
        let C = 16, B = 32
        var rng = SeededGenerator(seed: 12)
        let batches = (0..<3).map { _ in (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) } }
        for unitNorm in [false, true] {
            var config = SAEConfig(architecture: .gated, dIn: C)
            config.dSAE = 72
            config.batchSize = B
            config.l1Coefficient = 0.1
            config.decoderUnitNorm = unitNorm
            var finals: [(SAEWeights, AdamState)] = []
            for threads in [1, 3] {
                let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernelThreadCount: threads))
                for step in 0..<8 { try trainer.step(rows: batches[step % 3], rowCount: B) }
                XCTAssertEqual(trainer.sparseStepCount, 0)
                XCTAssertTrue(trainer.sae.weights.rMag.contains { $0 != 0 } && trainer.sae.weights.bMag.contains { $0 != 0 })
                finals.append((trainer.sae.weights, trainer.optimizer.state))
            }
            XCTAssertEqual(finals[0].0, finals[1].0, "unitNorm \(unitNorm)")
            XCTAssertEqual(finals[0].1, finals[1].1, "unitNorm \(unitNorm)")
        }
    }

    /// SAELens 6.54's GatedTrainingSAE, 5 torch Adam steps. Tolerances: every loss term within
    /// 1e-4 relative at every step; the first step's gradients within 1e-4 of each tensor's
    /// largest value (reference and Float path both); final weights within 1e-4 absolute
    /// (they are O(0.1–1)). The measured maxima are printed.
    func testTrainerMatchesSAELensGatedTrainingSAE() throws {
        let path = packageRoot.appendingPathComponent("Tests/StreamTrainTests/Fixtures/saelens_parity_gated.safetensors").path
        let fixture = try SafetensorsFile(path: path)
        let meta = fixture.metadata
        let C = try XCTUnwrap(Int(meta["d_in"] ?? "")), H = try XCTUnwrap(Int(meta["d_sae"] ?? ""))
        let B = try XCTUnwrap(Int(meta["batch_rows"] ?? "")), steps = try XCTUnwrap(Int(meta["steps"] ?? ""))
        let lambda = try XCTUnwrap(Double(meta["l1_coefficient"] ?? ""))
        XCTAssertEqual(meta["apply_b_dec_to_input"], "True")
        var config = SAEConfig(architecture: .gated, dIn: C)
        config.dSAE = H
        config.batchSize = B
        config.learningRate = try XCTUnwrap(Double(meta["learning_rate"] ?? ""))
        config.l1Coefficient = lambda
        func weights(_ prefix: String) throws -> SAEWeights {
            SAEWeights(wEnc: try fixture.floats("\(prefix).W_enc"), bEnc: try fixture.floats("\(prefix).b_gate"),
                       wDec: try fixture.floats("\(prefix).W_dec"), bDec: try fixture.floats("\(prefix).b_dec"),
                       rMag: try fixture.floats("\(prefix).r_mag"), bMag: try fixture.floats("\(prefix).b_mag"))
        }
        let initial = try weights("init"), expectedGradients = try weights("grad")
        let x = try fixture.floats("x")
        let loss = try fixture.floats("loss"), mse = try fixture.floats("mse_loss")
        let l1 = try fixture.floats("l1_loss"), aux = try fixture.floats("aux_loss")
        let names = ["W_enc", "b_gate", "W_dec", "b_dec", "r_mag", "b_mag"]
        func tensors(_ w: SAEWeights) -> [[Float]] { [w.wEnc, w.bEnc, w.wDec, w.bDec, w.rMag, w.bMag] }

        // The reference's first-step gradients are SAELens' (W_dec's includes the auxiliary
        // reconstruction's share: SAELens 6.54 does not detach the decoder there).
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .dense))
        try trainer.replaceWeights(initial)
        let firstRows = Array(x[0..<(B * C)])
        let reference = SAEReference.gatedStep(trainer.sae, weights: SAEReference.Weights(initial),
                                               x: firstRows.map(Double.init), rowCount: B, l1Coefficient: lambda)
        let referenceGradients = [reference.gradients.wEnc, reference.gradients.bEnc, reference.gradients.wDec,
                                  reference.gradients.bDec, reference.gradients.rMag, reference.gradients.bMag]
        for (i, name) in names.enumerated() {
            assertClose(referenceGradients[i], tensors(expectedGradients)[i].map(Double.init), relative: 1e-4, absolute: 1e-7,
                        "reference d\(name) vs SAELens")
        }
        // The decoder's auxiliary share is large enough that a frozen decoder would fail that check.
        let auxShare = auxiliaryDecoderGradient(trainer.sae, rows: firstRows, rowCount: B)
        let scale = expectedGradients.wDec.map { abs(Double($0)) }.max() ?? 0
        XCTAssertGreaterThan(auxShare.map(abs).max() ?? 0, 1e-2 * scale, "the auxiliary term's dW_dec is not negligible")

        var worstLoss = 0.0
        for s in 0..<steps {
            let rows = Array(x[(s * B * C)..<((s + 1) * B * C)])
            let got = try trainer.step(rows: rows, rowCount: B)
            if s == 0 {
                for (i, name) in names.enumerated() {
                    assertClose(tensors(trainer.gradients)[i].map(Double.init), tensors(expectedGradients)[i].map(Double.init),
                                relative: 1e-4, absolute: 1e-7, "Float path d\(name) vs SAELens")
                }
            }
            // SAELens' mse_loss sums over d_in; ours is the per-element mean. Its l1_loss is λ·term.
            let terms = [(got.total, loss[s], "loss"), (got.mse * Double(C), mse[s], "mse"),
                         (lambda * got.l1, l1[s], "l1"), (got.auxiliary, aux[s], "aux")]
            for (ours, theirs, term) in terms {
                let relative = abs(ours - Double(theirs)) / max(abs(Double(theirs)), 1e-12)
                worstLoss = max(worstLoss, relative)
                XCTAssertLessThanOrEqual(relative, 1e-4, "step \(s) \(term): \(ours) vs SAELens \(theirs)")
            }
        }
        let final = try weights("final")
        var worstWeight: Float = 0
        for (i, name) in names.enumerated() {
            let ours = tensors(trainer.sae.weights)[i], theirs = tensors(final)[i]
            XCTAssertEqual(ours.count, theirs.count, "\(name) size")
            for j in 0..<min(ours.count, theirs.count) { worstWeight = max(worstWeight, abs(ours[j] - theirs[j])) }
        }
        XCTAssertLessThanOrEqual(worstWeight, 1e-4, "worst final weight difference")
        // The run moved the weights well beyond that tolerance, so the comparison has teeth.
        let moved = zip(tensors(initial)[0], tensors(final)[0]).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(moved, 100 * max(worstWeight, 1e-6))
        // Not a timing: the measured agreement, for the record in the test log.
        print("SAELens parity gated: worst loss-term relative difference \(worstLoss), worst weight difference \(worstWeight), largest W_enc move \(moved)")
    }

    /// Exported as SAELens "gated" (W_enc, W_dec, b_dec, b_gate, b_mag, r_mag; no b_enc) and
    /// loaded back bit for bit; an activation scale is folded in with the same f on raw rows;
    /// a file without r_mag is refused naming the tensor.
    func testExportRoundTripsAsSAELensGated() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sae = make(C: 16, H: 64)
        let x = TestSAE.batch(rowCount: 20, dIn: 16)
        try SAELensExporter.export(sae, metadata: SAELensMetadata(modelName: "m", hookName: "h"), to: dir)
        let cfg = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cfg.json"))) as? [String: Any])
        XCTAssertEqual(cfg["architecture"] as? String, "gated")
        XCTAssertEqual(cfg["apply_b_dec_to_input"] as? Bool, true)
        XCTAssertEqual((cfg["metadata"] as? [String: Any])?["training_architecture"] as? String, "gated")
        let file = try SafetensorsFile(path: dir.appendingPathComponent("sae_weights.safetensors").path)
        XCTAssertEqual(Set(file.tensors.keys), ["W_enc", "W_dec", "b_dec", "b_gate", "b_mag", "r_mag"])
        XCTAssertEqual(try file.floats("b_gate"), sae.weights.bEnc)
        let loaded = try SAELensSAE.load(directory: dir).sae
        XCTAssertEqual(loaded, sae, "every tensor bit for bit")
        let f = sae.encode(x, rowCount: 20)
        XCTAssertEqual(loaded.encode(x, rowCount: 20), f)
        XCTAssertTrue(f.contains { $0 > 0 } && f.contains { $0 == 0 })

        let scale: Float = 1.7
        try SAELensExporter.export(sae, activationScale: scale, metadata: SAELensMetadata(), to: dir)
        let folded = try SAELensSAE.load(directory: dir).sae
        XCTAssertEqual(folded.weights.rMag, sae.weights.rMag)
        XCTAssertEqual(folded.weights.bMag, sae.weights.bMag)
        assertClose(folded.encode(x, rowCount: 20).map(Double.init), sae.encode(x.map { $0 * scale }, rowCount: 20).map(Double.init),
                    relative: 1e-6, absolute: 1e-7, "f on raw rows")
        assertClose(folded.reconstruct(x, rowCount: 20).map { Double($0 * scale) },
                    sae.reconstruct(x.map { $0 * scale }, rowCount: 20).map(Double.init), relative: 1e-6, absolute: 1e-7, "x̂")

        let weightsPath = dir.appendingPathComponent("sae_weights.safetensors").path
        try SafetensorsWriter.write(path: weightsPath, tensors: [
            ("W_enc", [16, 64], sae.weights.wEnc, .f32), ("W_dec", [64, 16], sae.weights.wDec, .f32),
            ("b_dec", [16], sae.weights.bDec, .f32), ("b_gate", [64], sae.weights.bEnc, .f32),
            ("b_mag", [64], sae.weights.bMag, .f32)])
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            guard case let .missingTensor(path, tensor, present)? = error as? SAELensError else {
                return XCTFail("expected missingTensor, got \(error)")
            }
            XCTAssertEqual(path, weightsPath)
            XCTAssertEqual(tensor, "r_mag")
            XCTAssertEqual(Set(present), ["W_enc", "W_dec", "b_dec", "b_gate", "b_mag"])
        }
    }

    /// s·ReLU(π_gate)ᵀ·(x̃ − x): the auxiliary reconstruction's share of dW_dec, which the
    /// paper's stop-gradient would remove.
    private func auxiliaryDecoderGradient(_ sae: SparseAutoencoder, rows x: [Float], rowCount B: Int) -> [Double] {
        let C = sae.dIn, H = sae.dSAE
        let step = SAEReference.gatedStep(sae, weights: SAEReference.Weights(sae.weights), x: x.map(Double.init),
                                          rowCount: B, l1Coefficient: 0)
        var out = [Double](repeating: 0, count: H * C)
        for b in 0..<B {
            var residual = [Double](repeating: 0, count: C)
            for c in 0..<C {
                var xaux = Double(sae.weights.bDec[c])
                for j in 0..<H { xaux += step.gateActivations[b * H + j] * Double(sae.weights.wDec[j * C + c]) }
                residual[c] = xaux - Double(x[b * C + c])
            }
            for j in 0..<H { for c in 0..<C { out[j * C + c] += 2 / Double(B) * step.gateActivations[b * H + j] * residual[c] } }
        }
        return out
    }
}

extension TestSAE {
    /// A gated SAE with every tensor non-zero: r_mag in ±0.4 so exp(r_mag) ≠ 1, b_mag in ±0.2.
    static func gated(dIn C: Int, dSAE H: Int, applyBDecToInput: Bool = true, seed: UInt64 = 1) -> SparseAutoencoder {
        var weights = TestSAE.make(.standard, dIn: C, dSAE: H, seed: seed).weights
        var rng = SeededGenerator(seed: seed + 100)
        weights.rMag = (0..<H).map { _ in rng.nextSymmetric(bound: 0.4) }
        weights.bMag = (0..<H).map { _ in rng.nextSymmetric(bound: 0.2) }
        return try! SparseAutoencoder(architecture: .gated, dIn: C, dSAE: H, applyBDecToInput: applyBDecToInput,
                                      weights: weights)
    }
}
