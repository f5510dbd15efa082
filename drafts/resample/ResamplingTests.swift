import XCTest
@testable import StreamTrain

/// Dead-latent resampling (`SAETrainer+Resampling.swift`, Anthropic 2023).
final class ResamplingTests: XCTestCase {
    func config(_ architecture: SAEArchitecture = .standard, every: Int?) -> SAEConfig {
        var config = SAEConfig(architecture: architecture, dIn: 16)
        config.dSAE = 32
        config.batchSize = 32
        config.learningRate = 3e-3
        config.seed = 4
        config.resampleEverySteps = every
        return config
    }

    /// A latent that cannot fire (b_enc = −100) is resampled at step 3 exactly as documented;
    /// nothing else differs from a run without resampling, bit for bit.
    func testADeadLatentIsResampledFromABatchRow() throws {
        let C = 16, H = 32, B = 32, deadLatent = 5
        let options = SAETrainerOptions(deadFeatureWindowTokens: 64)
        var rng = SeededGenerator(seed: 3)
        let batches = (0..<3).map { _ in (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) } }
        var trainers: [SAETrainer] = []
        for every in [nil, 3] as [Int?] {
            let trainer = try SAETrainer(config: config(every: every), options: options)
            var weights = trainer.sae.weights
            weights.bEnc[deadLatent] = -100
            try trainer.replaceWeights(weights)
            for step in 0..<2 {
                try trainer.step(rows: batches[step], rowCount: B)
                XCTAssertEqual(trainer.sae.weights.bEnc[deadLatent] < -99, true, "not resampled before step 3")
            }
            try trainer.step(rows: batches[2], rowCount: B)
            trainers.append(trainer)
        }
        let (plain, resampled) = (trainers[0], trainers[1])
        let window = 64
        let dead = (0..<H).filter { plain.state.tokenCount - plain.state.lastFiredTokenCount[$0] >= window }
        XCTAssertTrue(dead.contains(deadLatent), "the latent with b_enc −100 is dead")
        XCTAssertEqual(resampled.state.resampledLatentCount, dead.count)
        XCTAssertLessThan(dead.count, H)

        let w = resampled.sae.weights, adam = resampled.optimizer.state
        var aliveNormSum = 0.0
        for j in 0..<H where !dead.contains(j) {
            aliveNormSum += (0..<C).reduce(0.0) { $0 + Double(w.wEnc[$1 * H + j]) * Double(w.wEnc[$1 * H + j]) }.squareRoot()
        }
        let encoderNorm = 0.2 * aliveNormSum / Double(H - dead.count)
        // The rows the SAE saw at step 3 (no normalisation: the batch as given).
        let rows = batches[2]
        for j in 0..<H {
            let decoderRow = (0..<C).map { Double(w.wDec[j * C + $0]) }
            let encoderColumn = (0..<C).map { Double(w.wEnc[$0 * H + j]) }
            if dead.contains(j) {
                XCTAssertEqual(w.bEnc[j], 0)
                XCTAssertEqual(decoderRow.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1, accuracy: 1e-6, "W_dec[\(j)] unit norm")
                XCTAssertEqual(encoderColumn.reduce(0) { $0 + $1 * $1 }.squareRoot(), encoderNorm, accuracy: 1e-5 * encoderNorm)
                // Parallel to one of the batch rows.
                let parallel = (0..<B).contains { b in
                    let row = (0..<C).map { Double(rows[b * C + $0]) }
                    let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    return zip(row, decoderRow).allSatisfy { abs($0 / norm - $1) < 1e-6 }
                }
                XCTAssertTrue(parallel, "W_dec[\(j)] is a normalised batch row")
                XCTAssertEqual(adam.firstMoments[1][j], 0)
                XCTAssertEqual(adam.secondMoments[1][j], 0)
                for c in 0..<C {
                    XCTAssertEqual(adam.firstMoments[0][c * H + j], 0)
                    XCTAssertEqual(adam.secondMoments[2][j * C + c], 0)
                }
            } else {
                XCTAssertEqual(decoderRow, (0..<C).map { Double(plain.sae.weights.wDec[j * C + $0]) }, "latent \(j) untouched")
                XCTAssertEqual(encoderColumn, (0..<C).map { Double(plain.sae.weights.wEnc[$0 * H + j]) }, "latent \(j) untouched")
                XCTAssertEqual(w.bEnc[j], plain.sae.weights.bEnc[j])
                XCTAssertEqual(adam.secondMoments[1][j], plain.optimizer.state.secondMoments[1][j])
            }
        }
        XCTAssertEqual(w.bDec, plain.sae.weights.bDec)
        // The resampled latent is alive again on the rows it was drawn from.
        let f = resampled.sae.encode(rows, rowCount: B)
        XCTAssertTrue((0..<B).contains { f[$0 * H + deadLatent] > 0 }, "the resampled latent fires")
    }

    /// Resampling draws from the checkpointed generator and history: stopping at a resample
    /// step and resuming ends bitwise equal to an uninterrupted run.
    func testResumeAcrossResampleStepsIsBitwiseIdentical() throws {
        for architecture in [SAEArchitecture.standard, .tied, .gated] {
            var config = config(architecture, every: 4)
            config.normalizeActivations = .expectedAverageOnlyIn
            var rng = SeededGenerator(seed: 8)
            let rows = (0..<(300 * 16)).map { _ in rng.nextSymmetric(bound: 1) }
            let options = SAETrainerOptions(logIntervalSteps: 5, deadFeatureWindowTokens: 96,
                                            featureFrequencyWindowTokens: 200, maxSteps: 25)
            // Eight latents that cannot fire until they are resampled.
            func killed(_ trainer: SAETrainer) throws -> SAETrainer {
                var weights = trainer.sae.weights
                for j in 0..<8 { weights.bEnc[j] = -100 }
                try trainer.replaceWeights(weights)
                return trainer
            }
            var straightSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            let straight = try killed(try SAETrainer(config: config, options: options))
            try straight.train(source: &straightSource)
            XCTAssertGreaterThan(straight.state.resampledLatentCount ?? 0, 0, "\(architecture): something was resampled")

            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = CheckpointStore(directory: dir, keptCount: 2)
            var halfOptions = options
            halfOptions.maxSteps = 12
            var firstSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            let first = try killed(try SAETrainer(config: config, options: halfOptions))
            try first.train(source: &firstSource, checkpoints: store)
            let resumed = try SAETrainer(resumingFrom: try XCTUnwrap(try store.loadLatest()), options: options)
            var freshSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            try resumed.train(source: &freshSource, checkpoints: store)
            XCTAssertEqual(resumed.sae.weights, straight.sae.weights, "\(architecture) weights")
            XCTAssertEqual(resumed.optimizer.state, straight.optimizer.state, "\(architecture) Adam")
            XCTAssertEqual(resumed.state, straight.state, "\(architecture) counters")
        }
    }

    func testResamplingIsRefusedWhereItDoesNotApply() {
        XCTAssertThrowsError(try config(.topk, every: 10).validate())
        XCTAssertThrowsError(try config(.standard, every: 0).validate())
        XCTAssertNoThrow(try config(.gated, every: 10).validate())
    }
}
