import XCTest
@testable import StreamTrain

/// The sparse step against the dense (sgemm) one, and whole training runs on each path, over
/// densities from 0.1 % to 50 %.
final class SparseStepTests: XCTestCase {
    let densities = [0.001, 0.01, 0.1, 0.5]

    // MARK: - Sparse step against the dense (sgemm) step

    let cases = SparseCases.all

    func testSparseStepMatchesDenseStep() {
        // Same batch, same weights: only the summation order differs (Float). Losses within
        // 1e-6 relative, gradients within 1e-5 of each tensor's largest value.
        let B = 64, C = 32, H = 512
        for (architecture, applyBDec) in cases {
            for density in densities {
                let (sae, x) = saeAtDensity(architecture, applyBDec: applyBDec, density: density, B: B, C: C, H: H)
                let label = "\(architecture) applyBDec=\(applyBDec) density \(density)"
                var denseWS = SAEWorkspace(sae: sae, maxRowCount: B)
                var sparseWS = SAEWorkspace(sae: sae, maxRowCount: B, threadCount: 3)
                var denseG = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                var sparseG = denseG
                // Stale values in the sparse gradients must be overwritten.
                sparseG.wEnc = sparseG.wEnc.map { _ in .nan }
                sparseG.wDec = sparseG.wDec.map { _ in .nan }
                let lambda = architecture == .topk ? 0.0 : 0.01
                let dense = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &denseWS,
                                                 gradients: &denseG, kernels: .dense)
                let sparse = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &sparseWS,
                                                  gradients: &sparseG, kernels: .sparse)
                XCTAssertFalse(denseWS.lastStepWasSparse, label)
                XCTAssertTrue(sparseWS.lastStepWasSparse, label)
                let measured = Double(dense.activeLatentCount) / Double(B * H)
                XCTAssertEqual(measured, density, accuracy: density * 0.5 + 1.0 / Double(H), "\(label): measured \(measured)")
                XCTAssertEqual(sparse.activeLatentCount, dense.activeLatentCount, label)
                XCTAssertEqual(sparse.mse, dense.mse, accuracy: 1e-6 * dense.mse, label)
                XCTAssertEqual(sparse.l1, dense.l1, accuracy: 1e-6 * dense.l1 + 1e-12, label)
                XCTAssertEqual(sparseWS.latentActSums, denseWS.latentActSums, label)
                XCTAssertEqual(sparseWS.firedRowCounts, denseWS.firedRowCounts, label)
                assertClose(Array(sparseWS.residuals[0..<(B * C)]).map(Double.init),
                            Array(denseWS.residuals[0..<(B * C)]).map(Double.init), relative: 1e-5, absolute: 0, "\(label) x̂−x")
                for (name, path) in [("W_enc", \SAEWeights.wEnc), ("b_enc", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec)] {
                    assertClose(sparseG[keyPath: path].map(Double.init), denseG[keyPath: path].map(Double.init),
                                relative: 1e-5, absolute: 1e-12, "\(label) d\(name)")
                }
            }
        }
    }

    func testThreadCountDoesNotChangeTheSparseStep() {
        // Each output element belongs to one part and is summed in a fixed order: bitwise equal.
        let B = 40, C = 24, H = 256
        for (architecture, applyBDec) in cases {
            let (sae, x) = saeAtDensity(architecture, applyBDec: applyBDec, density: 0.05, B: B, C: C, H: H)
            var results: [(SAELosses, SAEWeights)] = []
            for threads in [1, 2, 3] {
                var ws = SAEWorkspace(sae: sae, maxRowCount: B, threadCount: threads)
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                let losses = sae.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &ws, gradients: &g,
                                                  kernels: .sparse)
                results.append((losses, g))
            }
            for (losses, g) in results.dropFirst() {
                XCTAssertEqual(losses, results[0].0, "\(architecture)")
                XCTAssertEqual(g, results[0].1, "\(architecture)")
            }
        }
    }

    func testWideRowsTakeTheBLASPathAndStillAgree() {
        // d_in 264 and 520: the row kernels call OpenBLAS's axpy (and at 520 its dot). The step
        // still matches the dense one (tolerances as above) and is bitwise the same for 1–3 threads.
        let B = 32, H = 128
        for C in [264, 520] {
        for (architecture, applyBDec) in [(SAEArchitecture.tied, false), (.standard, true), (.topk, true)] {
            let (sae, x) = saeAtDensity(architecture, applyBDec: applyBDec, density: 0.05, B: B, C: C, H: H)
            var denseWS = SAEWorkspace(sae: sae, maxRowCount: B)
            var denseG = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
            let lambda = architecture == .topk ? 0.0 : 0.01
            let dense = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &denseWS,
                                             gradients: &denseG, kernels: .dense)
            var results: [(SAELosses, SAEWeights)] = []
            for threads in [1, 2, 3] {
                var ws = SAEWorkspace(sae: sae, maxRowCount: B, threadCount: threads)
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                let losses = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &ws, gradients: &g,
                                                  kernels: .sparse)
                results.append((losses, g))
            }
            for (losses, g) in results.dropFirst() {
                XCTAssertEqual(losses, results[0].0, "\(architecture)")
                XCTAssertEqual(g, results[0].1, "\(architecture)")
            }
            let (sparse, sparseG) = results[0]
            XCTAssertEqual(sparse.mse, dense.mse, accuracy: 1e-6 * dense.mse, "\(architecture)")
            XCTAssertEqual(sparse.activeLatentCount, dense.activeLatentCount, "\(architecture)")
            for (name, path) in [("W_enc", \SAEWeights.wEnc), ("b_enc", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec)] {
                assertClose(sparseG[keyPath: path].map(Double.init), denseG[keyPath: path].map(Double.init),
                            relative: 1e-5, absolute: 1e-12, "\(architecture) C \(C) d\(name)")
            }
        }
        }
    }

    func testSparseBuffersGrowOnceAndAreReused() {
        // A workspace reserved for `auto`'s densest sparse batch serves a forced-sparse 50 %
        // batch by growing, then a sparser batch without shrinking; results stay right.
        let B = 32, C = 16, H = 128
        let (dense, x) = saeAtDensity(.standard, applyBDec: true, density: 0.5, B: B, C: C, H: H)
        let (sparse, _) = saeAtDensity(.standard, applyBDec: true, density: 0.01, B: B, C: C, H: H)
        var ws = SAEWorkspace(sae: dense, maxRowCount: B)
        let reserved = ws.sparse.capacity
        var g = SAEWeights(zerosFor: .standard, dIn: C, dSAE: H)
        _ = dense.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &ws, gradients: &g, kernels: .sparse)
        let grown = ws.sparse.capacity
        XCTAssertGreaterThan(grown, reserved)
        let losses = sparse.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &ws, gradients: &g, kernels: .sparse)
        XCTAssertEqual(ws.sparse.capacity, grown)
        var freshWS = SAEWorkspace(sae: sparse, maxRowCount: B)
        var freshG = g
        let fresh = sparse.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &freshWS, gradients: &freshG,
                                            kernels: .dense)
        XCTAssertEqual(losses.total, fresh.total, accuracy: 1e-6 * fresh.total)
        assertClose(g.wEnc.map(Double.init), freshG.wEnc.map(Double.init), relative: 1e-5, absolute: 1e-12, "dW_enc")
    }

    // MARK: - Training runs: sparse and dense give the same parameters after N steps

    func testTrainingOnEitherPathGivesTheSameParameters() throws {
        // 30 Adam steps (lr 1e-3) on 4 batches of 64 rows. The paths differ by Float rounding
        // in each gradient; Adam divides by sqrt(v), so a gradient element that is itself at
        // rounding level can move by up to lr per step on one path and not the other. Measured
        // worst case below 2e-5 (see the assertion); the bound, 1e-4, is 10 % of one step's lr.
        let B = 64, C = 32, H = 256, steps = 30
        let variants: [(String, SAEArchitecture, Bool)] = [("tied", .tied, false), ("standard", .standard, false),
                                                          ("standard+unit-norm", .standard, true), ("topk", .topk, false)]
        for (name, architecture, unitNorm) in variants {
            for density in densities {
                var config = SAEConfig(architecture: architecture, dIn: C)
                config.dSAE = H
                config.batchSize = B
                config.decoderUnitNorm = unitNorm
                config.l1Coefficient = architecture == .topk ? 0 : 0.01
                config.k = max(1, Int((density * Double(H)).rounded()))
                let (sae, _) = saeAtDensity(architecture, applyBDec: config.applyBDecToInput, density: density,
                                            B: B, C: C, H: H, unitNorm: unitNorm)
                var rng = SeededGenerator(seed: 11)
                let batches = (0..<4).map { _ in (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) } }
                var finals: [SAEWeights] = []
                var sparseSteps: [Int] = []
                for kernels in [SAEKernelMode.dense, .sparse] {
                    let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: kernels))
                    try trainer.replaceWeights(sae.weights)
                    for step in 0..<steps { try trainer.step(rows: batches[step % 4], rowCount: B) }
                    finals.append(trainer.sae.weights)
                    sparseSteps.append(trainer.sparseStepCount)
                }
                XCTAssertEqual(sparseSteps, [0, steps])
                let label = "\(name) density \(density)"
                for (tensor, path) in [("W_enc", \SAEWeights.wEnc), ("b_enc", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec)] {
                    let a = finals[0][keyPath: path], b = finals[1][keyPath: path]
                    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, 1e-4, "\(label) \(tensor): max |dense − sparse| \(worst)")
                }
            }
        }
    }

    func testAutoFollowsTheMeasuredDensity() throws {
        let B = 64, C = 32, H = 256
        for (density, expectSparse) in [(0.01, true), (0.5, false)] {
            var config = SAEConfig(architecture: .standard, dIn: C)
            config.dSAE = H
            config.batchSize = B
            let (sae, x) = saeAtDensity(.standard, applyBDec: true, density: density, B: B, C: C, H: H)
            let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .auto))
            try trainer.replaceWeights(sae.weights)
            try trainer.step(rows: x, rowCount: B)
            XCTAssertEqual(trainer.sparseStepCount, expectSparse ? 1 : 0, "density \(density)")
        }
        XCTAssertThrowsError(try SAETrainerOptions(kernelThreadCount: 0).validate())
        // Options saved before the kernel fields existed decode with the defaults.
        let old = #"{"logIntervalSteps":5,"deadFeatureWindowTokens":10,"featureFrequencyWindowTokens":10,"checkpointIntervalSteps":0,"keptCheckpointCount":3}"#
        let decoded = try JSONDecoder().decode(SAETrainerOptions.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.kernels, .auto)
        XCTAssertNil(decoded.kernelThreadCount)
        let roundTrip = SAETrainerOptions(kernels: .sparse, kernelThreadCount: 2)
        XCTAssertEqual(try JSONDecoder().decode(SAETrainerOptions.self, from: JSONEncoder().encode(roundTrip)), roundTrip)
    }

    func testTiedSparseStepsReuseTheTransposeOnlyWhileItIsCurrent() throws {
        // The tied trainer's sparse steps take W_encᵀ from the previous Adam step. Replacing the
        // weights must not leave it stale: the step after replaceWeights must see the new
        // weights exactly (loss bitwise that of a fresh trainer on them), and a run of sparse
        // steps must stay within the dense run's tolerance (testTrainingOnEitherPath…).
        let B = 64, C = 32, H = 256
        var config = SAEConfig(architecture: .tied, dIn: C)
        config.dSAE = H
        config.batchSize = B
        config.l1Coefficient = 0.01
        let (sae, x) = saeAtDensity(.tied, applyBDec: config.applyBDecToInput, density: 0.05, B: B, C: C, H: H)
        var other = sae.weights
        for i in other.wEnc.indices { other.wEnc[i] *= 1.5 }
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .sparse))
        try trainer.replaceWeights(sae.weights)
        for _ in 0..<3 { try trainer.step(rows: x, rowCount: B) }
        XCTAssertEqual(trainer.sparseStepCount, 3)
        try trainer.replaceWeights(other)
        let afterReplace = try trainer.step(rows: x, rowCount: B)
        let fresh = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .sparse))
        try fresh.replaceWeights(other)
        let first = try fresh.step(rows: x, rowCount: B)
        XCTAssertEqual(afterReplace.total, first.total)
        XCTAssertEqual(afterReplace.mse, first.mse)
        // And the next step (transpose from Adam) equals a trainer that transposes afresh:
        // its loss is that of the same weights run through a new trainer.
        let weightsNow = trainer.sae.weights
        let reused = try trainer.step(rows: x, rowCount: B)
        let check = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .sparse))
        try check.replaceWeights(weightsNow)
        let recomputed = try check.step(rows: x, rowCount: B)
        XCTAssertEqual(reused.total, recomputed.total)
        XCTAssertEqual(reused.mse, recomputed.mse)
    }
}
