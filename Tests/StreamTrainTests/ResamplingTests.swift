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

    /// Latents that cannot fire (b_enc = −100).
    func killing(_ latents: Range<Int>, _ trainer: SAETrainer) throws -> SAETrainer {
        var weights = trainer.sae.weights
        for j in latents { weights.bEnc[j] = -100 }
        try trainer.replaceWeights(weights)
        return trainer
    }

    /// A latent that cannot fire is resampled at step 3 exactly as documented; nothing else
    /// differs from a run without resampling, bit for bit.
    func testADeadLatentIsResampledFromABatchRow() throws {
        let C = 16, H = 32, B = 32, deadLatent = 5
        let options = SAETrainerOptions(deadFeatureWindowTokens: 64)
        var rng = SeededGenerator(seed: 3)
        let batches = (0..<3).map { _ in (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) } }
        var trainers: [SAETrainer] = []
        for every in [nil, 3] as [Int?] {
            let trainer = try killing(deadLatent..<(deadLatent + 1), try SAETrainer(config: config(every: every), options: options))
            for step in 0..<2 {
                try trainer.step(rows: batches[step], rowCount: B)
                XCTAssertLessThan(trainer.sae.weights.bEnc[deadLatent], -99, "not resampled before step 3")
            }
            try trainer.step(rows: batches[2], rowCount: B)
            trainers.append(trainer)
        }
        let (plain, resampled) = (trainers[0], trainers[1])
        let dead = plain.resamplingCandidates()
        XCTAssertTrue(dead.contains(deadLatent), "the latent with b_enc −100 is dead")
        XCTAssertEqual(resampled.state.resampledLatentCount, dead.count)
        XCTAssertNil(plain.state.resampledLatentCount)
        XCTAssertLessThan(dead.count, H)
        XCTAssertTrue(resampled.resamplingCandidates().isEmpty, "a resampled latent's window starts again")

        let w = resampled.sae.weights, adam = resampled.optimizer.state
        var aliveNormSum = 0.0
        for j in 0..<H where !dead.contains(j) {
            aliveNormSum += (0..<C).reduce(0.0) { $0 + Double(w.wEnc[$1 * H + j]) * Double(w.wEnc[$1 * H + j]) }.squareRoot()
        }
        let encoderNorm = 0.2 * aliveNormSum / Double(H - dead.count)
        let rows = batches[2]  // the rows the SAE saw at step 3 (no normalisation)
        var drawn: [Int] = []
        for j in 0..<H {
            let decoderRow = (0..<C).map { Double(w.wDec[j * C + $0]) }
            let encoderColumn = (0..<C).map { Double(w.wEnc[$0 * H + j]) }
            if dead.contains(j) {
                XCTAssertEqual(w.bEnc[j], 0)
                XCTAssertEqual(decoderRow.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1, accuracy: 1e-6, "W_dec[\(j)] unit norm")
                XCTAssertEqual(encoderColumn.reduce(0) { $0 + $1 * $1 }.squareRoot(), encoderNorm, accuracy: 1e-5 * encoderNorm)
                let source = (0..<B).first { b in
                    let row = (0..<C).map { Double(rows[b * C + $0]) }
                    let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    return zip(row, decoderRow).allSatisfy { abs($0 / norm - $1) < 1e-6 }
                }
                XCTAssertNotNil(source, "W_dec[\(j)] is a normalised batch row")
                if let source { drawn.append(source) }
                XCTAssertEqual(adam.firstMoments[1][j], 0)
                XCTAssertEqual(adam.secondMoments[1][j], 0)
                for c in 0..<C {
                    XCTAssertEqual(adam.firstMoments[0][c * H + j], 0)
                    XCTAssertEqual(adam.secondMoments[0][c * H + j], 0)
                    XCTAssertEqual(adam.firstMoments[2][j * C + c], 0)
                    XCTAssertEqual(adam.secondMoments[2][j * C + c], 0)
                }
            } else {
                XCTAssertEqual(decoderRow, (0..<C).map { Double(plain.sae.weights.wDec[j * C + $0]) }, "latent \(j) untouched")
                XCTAssertEqual(encoderColumn, (0..<C).map { Double(plain.sae.weights.wEnc[$0 * H + j]) }, "latent \(j) untouched")
                XCTAssertEqual(w.bEnc[j], plain.sae.weights.bEnc[j])
                XCTAssertEqual(adam.secondMoments[1][j], plain.optimizer.state.secondMoments[1][j])
            }
        }
        XCTAssertEqual(Set(drawn).count, drawn.count, "rows are drawn without replacement")
        XCTAssertEqual(w.bDec, plain.sae.weights.bDec)
        XCTAssertEqual(adam.stepCount, plain.optimizer.state.stepCount)
        // The resampled latent is alive again on the rows it was drawn from.
        let f = resampled.sae.encode(rows, rowCount: B)
        XCTAssertTrue((0..<B).contains { f[$0 * H + deadLatent] > 0 }, "the resampled latent fires")
    }

    /// A run with a quarter of its latents forced dead recovers them: without resampling they
    /// never fire, with it (every 10 steps) they fire again on the data by the end.
    func testARunWithForcedDeadLatentsRecoversThem() throws {
        for architecture in [SAEArchitecture.standard, .tied, .gated] {
            var rng = SeededGenerator(seed: 12)
            let rows = (0..<(640 * 16)).map { _ in rng.nextSymmetric(bound: 1) }
            let options = SAETrainerOptions(logIntervalSteps: 10, deadFeatureWindowTokens: 160, maxSteps: 60)
            var counts: [Int] = []
            for every in [nil, 10] as [Int?] {
                var conf = config(architecture, every: every)
                conf.l1Coefficient = architecture == .gated ? 0.05 : 1e-3
                var source = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 12)
                let trainer = try killing(0..<8, try SAETrainer(config: conf, options: options))
                try trainer.train(source: &source)
                let f = trainer.sae.encode(rows, rowCount: 640)
                counts.append((0..<8).filter { j in (0..<640).contains { f[$0 * 32 + j] > 0 } }.count)
                if every != nil { XCTAssertGreaterThanOrEqual(trainer.state.resampledLatentCount ?? 0, 8, "\(architecture)") }
            }
            XCTAssertEqual(counts[0], 0, "\(architecture): without resampling the killed latents stay dead")
            XCTAssertEqual(counts[1], 8, "\(architecture): with resampling all 8 fire again")
            // Not a timing: the measured recovery, for the record in the test log.
            print("resampling recovery \(architecture): killed latents firing on the data at the end, off \(counts[0]) / 8, on \(counts[1]) / 8")
        }
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
            var straightSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            let straight = try killing(0..<8, try SAETrainer(config: config, options: options))
            try straight.train(source: &straightSource)
            XCTAssertGreaterThan(straight.state.resampledLatentCount ?? 0, 0, "\(architecture): something was resampled")

            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = CheckpointStore(directory: dir, keptCount: 2)
            var halfOptions = options
            halfOptions.maxSteps = 12  // a resample step: the checkpoint is taken right after it
            var firstSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            let first = try killing(0..<8, try SAETrainer(config: config, options: halfOptions))
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
        for architecture in [SAEArchitecture.topk, .batchtopk, .jumprelu] {
            XCTAssertThrowsError(try config(architecture, every: 10).validate(), "\(architecture)")
        }
        XCTAssertThrowsError(try config(.standard, every: 0).validate())
        XCTAssertNoThrow(try config(.gated, every: 10).validate())
        XCTAssertNoThrow(try config(.tied, every: 10).validate())
    }
}
