import Foundation
import XCTest
@testable import StreamTrain

final class SAETrainerTests: XCTestCase {
    /// Rows that are sparse combinations of a few directions plus an offset, like activations.
    func syntheticRows(rowCount: Int, dIn C: Int, seed: UInt64 = 3) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        let directions = (0..<(8 * C)).map { _ in rng.nextSymmetric(bound: 1) }
        var rows = [Float](repeating: 0, count: rowCount * C)
        for r in 0..<rowCount {
            for _ in 0..<2 {
                let d = rng.nextIndex(below: 8), scale = rng.nextUnitFloat() * 2
                for c in 0..<C { rows[r * C + c] += scale * directions[d * C + c] }
            }
            for c in 0..<C { rows[r * C + c] += 0.3 + 0.05 * rng.nextSymmetric(bound: 1) }
        }
        return rows
    }

    func smallConfig(_ architecture: SAEArchitecture) -> SAEConfig {
        var config = SAEConfig(architecture: architecture, dIn: 16)
        config.expansionFactor = 4
        config.k = 6
        config.batchSize = 32
        config.epochs = 3
        config.seed = 11
        config.learningRate = 3e-3
        // Matryoshka's inner prefixes of the 64 latents (the full width is appended).
        if architecture == .matryoshka { config.matryoshkaWidths = [8, 24] }
        return config
    }

    func testConfigDefaultsValidationAndPartialJSON() throws {
        let seed = SAEConfig(dIn: 768)
        XCTAssertEqual(seed.architecture, .tied)
        XCTAssertEqual(seed.latentCount, 6144)
        XCTAssertEqual(seed.learningRate, 1e-3)
        XCTAssertEqual(seed.l1Coefficient, 1e-3)
        XCTAssertEqual(seed.batchSize, 512)
        XCTAssertEqual(seed.epochs, 100)
        XCTAssertFalse(seed.applyBDecToInput)
        try seed.validate()
        let topk = try JSONDecoder().decode(SAEConfig.self, from: Data(#"{"dIn": 128, "architecture": "topk", "k": 16}"#.utf8))
        XCTAssertEqual(topk.l1Coefficient, 0)
        XCTAssertTrue(topk.applyBDecToInput)
        XCTAssertEqual(topk.k, 16)
        let roundTrip = try JSONDecoder().decode(SAEConfig.self, from: JSONEncoder().encode(topk))
        XCTAssertEqual(roundTrip, topk)
        var bad = topk
        bad.k = 5000
        XCTAssertThrowsError(try bad.validate()) { error in
            XCTAssertEqual((error as? SAEConfigError)?.field, "k")
        }
        var tiedUnit = seed
        tiedUnit.decoderUnitNorm = true
        XCTAssertThrowsError(try tiedUnit.validate())
    }

    func testInitIsDeterministicAndFollowsTheDocumentedScheme() throws {
        let a = try SparseAutoencoder(config: smallConfig(.tied))
        XCTAssertEqual(a, try SparseAutoencoder(config: smallConfig(.tied)))
        let bound = 1 / Float(16).squareRoot()
        XCTAssertTrue(a.weights.wEnc.allSatisfy { abs($0) <= bound } && a.weights.bEnc.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(a.weights.bDec.allSatisfy { $0 == 0 })
        var config = smallConfig(.standard)
        let standard = try SparseAutoencoder(config: config)
        config.decoderUnitNorm = true
        let unit = try SparseAutoencoder(config: config)
        for (sae, norm) in [(standard, Float(0.1)), (unit, Float(1))] {
            var norms = [Float](repeating: 0, count: sae.dSAE)
            sae.computeDecoderRowNorms(into: &norms)
            XCTAssertTrue(norms.allSatisfy { abs($0 - norm) < 1e-5 }, "row norms \(norms.prefix(3))")
            for c in 0..<sae.dIn {
                for j in 0..<sae.dSAE { XCTAssertEqual(sae.weights.wEnc[c * sae.dSAE + j], sae.weights.wDec[j * sae.dIn + c]) }
            }
        }
    }

    func testArrayBatchSourceShufflesPerEpochAndRestores() throws {
        let rowCount = 10
        let rows = (0..<rowCount).map(Float.init)
        var source = try ArrayBatchSource(rows: rows, rowWidth: 1, seed: 4)
        var buffer = [Float](repeating: 0, count: 4)
        func epoch(_ source: inout ArrayBatchSource) throws -> [Float] {
            var seen: [Float] = []
            while true {
                let n = try source.nextBatch(into: &buffer, maxRowCount: 4)
                if n == 0 { return seen }
                seen += buffer[0..<n]
            }
        }
        let first = try epoch(&source), second = try epoch(&source)
        XCTAssertEqual(first.sorted(), rows)
        XCTAssertEqual(second.sorted(), rows)
        XCTAssertNotEqual(first, second)
        var again = try ArrayBatchSource(rows: rows, rowWidth: 1, seed: 4)
        XCTAssertEqual(try epoch(&again), first)
        // Restore mid-epoch: the rest of the epoch and the next epoch are the same.
        var a = try ArrayBatchSource(rows: rows, rowWidth: 1, seed: 4)
        _ = try a.nextBatch(into: &buffer, maxRowCount: 4)
        let position = try a.position()
        var b = try ArrayBatchSource(rows: rows, rowWidth: 1, seed: 4)
        try b.restore(position: position)
        XCTAssertEqual(try epoch(&a), try epoch(&b))
        XCTAssertEqual(try epoch(&a), try epoch(&b))
        var other = try ArrayBatchSource(rows: rows, rowWidth: 1, seed: 5)
        XCTAssertThrowsError(try other.restore(position: position))
    }

    func testTrainingLowersLossAndMetricsMatchTheirDefinitions() throws {
        var config = smallConfig(.standard)
        config.epochs = 4
        let rows = syntheticRows(rowCount: 640, dIn: 16)
        var source = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 1)
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(logIntervalSteps: 20))
        var records: [TrainingMetrics] = []
        let summary = try trainer.train(source: &source) { event in
            if case let .metrics(m) = event { records.append(m) }
        }
        XCTAssertEqual(summary.stopReason, .epochsCompleted)
        XCTAssertEqual(summary.stepCount, 80)
        XCTAssertEqual(summary.tokenCount, 2560)
        XCTAssertEqual(records.count, 4)
        XCTAssertLessThan(records.last!.mse, records.first!.mse * 0.7)
        XCTAssertGreaterThan(records.last!.explainedVariance, records.first!.explainedVariance)

        // One-step window on a known batch: every metric recomputed from the Double reference
        // forward pass at the weights before the step.
        let before = trainer.sae
        let batch = Array(rows[0..<(32 * 16)])
        var single = try ArrayBatchSource(rows: batch, rowWidth: 16, seed: 0, shuffle: false)
        var oneStep = config
        oneStep.epochs = 5
        let probe = try SAETrainer(config: oneStep, options: SAETrainerOptions(logIntervalSteps: 1, maxSteps: 1))
        try probe.replaceWeights(before.weights)
        var got: TrainingMetrics?
        try probe.train(source: &single) { if case let .metrics(m) = $0 { got = m } }
        let m = try XCTUnwrap(got)
        let fwd = SAEReference.forward(before, weights: SAEReference.Weights(before.weights),
                                       x: batch.map(Double.init), rowCount: 32, l1Coefficient: config.l1Coefficient)
        XCTAssertEqual(m.mse, fwd.mse, accuracy: 1e-5 * fwd.mse)
        XCTAssertEqual(m.l1, fwd.l1, accuracy: 1e-5 * fwd.l1)
        XCTAssertEqual(m.l0, Double(fwd.latents.filter { $0 > 0 }.count) / 32, accuracy: 1e-12)
        var residual = 0.0, centred = 0.0
        for c in 0..<16 {
            let mean = (0..<32).map { Double(batch[$0 * 16 + c]) }.reduce(0, +) / 32
            for b in 0..<32 {
                centred += pow(Double(batch[b * 16 + c]) - mean, 2)
                residual += pow(fwd.reconstructions[b * 16 + c] - Double(batch[b * 16 + c]), 2)
            }
        }
        XCTAssertEqual(m.explainedVariance, 1 - residual / centred, accuracy: 1e-5)
        XCTAssertEqual(m.windowTokenCount, 32)
    }

    func testDeadFeatureFractionAndFiringFrequency() throws {
        var config = smallConfig(.tied)
        config.learningRate = 1e-12  // weights effectively frozen, so firing is known in advance
        config.epochs = 1
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(
            logIntervalSteps: 5, deadFeatureWindowTokens: 64, featureFrequencyWindowTokens: 96))
        var weights = trainer.sae.weights
        for j in 0..<64 { weights.bEnc[j] = j < 16 ? -1e4 : 1e4 }  // 16 never fire, 48 always
        try trainer.replaceWeights(weights)
        var source = try ArrayBatchSource(rows: syntheticRows(rowCount: 320, dIn: 16), rowWidth: 16, seed: 2)
        var last: TrainingMetrics?
        try trainer.train(source: &source) { if case let .metrics(m) = $0 { last = m } }
        XCTAssertEqual(try XCTUnwrap(last).deadFeatureFraction, 16.0 / 64.0)
        XCTAssertEqual(try XCTUnwrap(last).l0, 48)
        let frequency = trainer.featureFiringFrequency
        XCTAssertEqual(Array(frequency[0..<16]), [Float](repeating: 0, count: 16))
        XCTAssertEqual(Array(frequency[16...]), [Float](repeating: 1, count: 48))
    }

    func testNonFiniteActivationsStopWithTheStepAndKeepWeights() throws {
        let config = smallConfig(.topk)
        var rows = syntheticRows(rowCount: 96, dIn: 16)
        rows[2 * 32 * 16 + 5 * 16 + 7] = .nan  // step 3, row 5, element 7 (no shuffle)
        var source = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 0, shuffle: false)
        let trainer = try SAETrainer(config: config)
        var afterTwo: SAEWeights?
        XCTAssertThrowsError(try trainer.train(source: &source) { event in
            if case let .stepFinished(step, _, _, _) = event, step == 2 { afterTwo = trainer.sae.weights }
        }) { error in
            guard case let .nonFiniteActivations(step, row, element, value)? = error as? TrainingError else {
                return XCTFail("expected nonFiniteActivations, got \(error)")
            }
            XCTAssertEqual([step, row, element], [3, 5, 7])
            XCTAssertTrue(value.isNaN)
        }
        XCTAssertEqual(trainer.state.stepCount, 2)
        XCTAssertEqual(trainer.sae.weights, afterTwo)
    }

    func testNonFiniteLossStopsWithoutUpdating() throws {
        let trainer = try SAETrainer(config: smallConfig(.standard))
        let before = trainer.sae.weights
        let huge = [Float](repeating: 3e38, count: 32 * 16)  // finite input, overflowing activations
        XCTAssertThrowsError(try trainer.step(rows: huge, rowCount: 32)) { error in
            switch error as? TrainingError {
            case .nonFiniteLoss(step: 1, _, _)?, .nonFiniteGradients(step: 1, _)?: break
            default: XCTFail("expected a non-finite loss or gradient at step 1, got \(error)")
            }
        }
        let large = [Float](repeating: 1e30, count: 32 * 16)
        let tooLarge = try SAETrainer(config: smallConfig(.tied))
        var weights = tooLarge.sae.weights
        weights.wEnc = weights.wEnc.map { _ in 1e30 }  // x·W_enc overflows Float: f = Inf
        try tooLarge.replaceWeights(weights)
        XCTAssertThrowsError(try tooLarge.step(rows: large, rowCount: 32)) { error in
            guard case .nonFiniteLoss(step: 1, _, _)? = error as? TrainingError else {
                return XCTFail("expected nonFiniteLoss at step 1, got \(error)")
            }
        }
        XCTAssertEqual(tooLarge.sae.weights, weights)
        XCTAssertEqual(trainer.sae.weights, before)
        XCTAssertEqual(trainer.state.stepCount, 0)
    }

    func testBadSourcesAreReported() throws {
        let trainer = try SAETrainer(config: smallConfig(.tied))
        var narrow = try ArrayBatchSource(rows: [Float](repeating: 1, count: 80), rowWidth: 8, seed: 0)
        XCTAssertThrowsError(try trainer.train(source: &narrow)) { error in
            XCTAssertEqual(error as? TrainingError, .widthMismatch(sourceWidth: 8, saeWidth: 16))
        }
        var empty = EmptySource()
        XCTAssertThrowsError(try trainer.train(source: &empty)) { error in
            XCTAssertEqual(error as? TrainingError, .emptySource(epoch: 0))
        }
    }

    func testActivationNormalizationEstimatesScaleAndRestoresSource() throws {
        var config = smallConfig(.standard)
        config.normalizeActivations = .expectedAverageOnlyIn
        config.normalizationEstimateRowCount = 100
        let rows = syntheticRows(rowCount: 320, dIn: 16)
        var meanNorm = 0.0
        for r in 0..<100 {
            meanNorm += (0..<16).map { Double(rows[r * 16 + $0]) * Double(rows[r * 16 + $0]) }.reduce(0, +).squareRoot()
        }
        meanNorm /= 100
        var source = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 0, shuffle: false)
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(maxSteps: 1))
        var reported: Float?
        try trainer.train(source: &source) { if case let .normalizationEstimated(scale, count) = $0 { reported = scale; XCTAssertEqual(count, 100) } }
        let expected = Float(4 / meanNorm)
        XCTAssertEqual(try XCTUnwrap(reported), expected, accuracy: expected * 1e-6)
        // The first step saw rows 0..<32 scaled: same as a trainer stepping on them by hand.
        var manual = config
        manual.normalizeActivations = .none
        let reference = try SAETrainer(config: manual)
        try reference.step(rows: rows[0..<(32 * 16)].map { $0 * expected }, rowCount: 32)
        XCTAssertEqual(trainer.sae.weights, reference.sae.weights)
    }

    func testResumeFromCheckpointIsBitwiseIdentical() throws {
        // Everything is single-threaded-deterministic: OpenBLAS partitions sgemm over M/N, never
        // over K, so each output element is summed in the same order on every run.
        for architecture in SAEArchitecture.allCases {
            var config = smallConfig(architecture)
            config.decoderUnitNorm = architecture == .standard
            config.normalizeActivations = .expectedAverageOnlyIn
            let rows = syntheticRows(rowCount: 300, dIn: 16)  // 10 steps per epoch, the last one short
            let total = 25, half = 12
            let options = SAETrainerOptions(logIntervalSteps: 5, featureFrequencyWindowTokens: 200, maxSteps: total)

            var straightSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            let straight = try SAETrainer(config: config, options: options)
            try straight.train(source: &straightSource)

            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = CheckpointStore(directory: dir, keptCount: 2)
            var firstSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            var halfOptions = options
            halfOptions.maxSteps = half
            let first = try SAETrainer(config: config, options: halfOptions)
            try first.train(source: &firstSource, checkpoints: store)
            XCTAssertEqual(try store.steps(), [half])

            let checkpoint = try XCTUnwrap(try store.loadLatest())
            XCTAssertEqual(checkpoint, first.checkpoint(loaderPosition: try firstSource.position()))
            let resumed = try SAETrainer(resumingFrom: checkpoint, options: options)
            var freshSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 8)
            try resumed.train(source: &freshSource, checkpoints: store)

            XCTAssertEqual(resumed.sae.weights, straight.sae.weights, "\(architecture) weights")
            XCTAssertEqual(resumed.optimizer.state, straight.optimizer.state, "\(architecture) Adam")
            XCTAssertEqual(resumed.state, straight.state, "\(architecture) counters")
            XCTAssertEqual(try store.steps(), [half, total])
        }
    }

    func testCheckpointStoreKeepsNewestAndReportsDamage() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keptCount: 2)
        let trainer = try SAETrainer(config: smallConfig(.tied))
        let rows = syntheticRows(rowCount: 32, dIn: 16)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(".step-99.tmp"), withIntermediateDirectories: true)
        for _ in 0..<4 {
            try trainer.step(rows: rows, rowCount: 32)
            try store.save(trainer.checkpoint(loaderPosition: Data("pos-\(trainer.state.stepCount)".utf8)))
        }
        XCTAssertEqual(try store.steps(), [3, 4])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".step-99.tmp").path))
        let latest = try XCTUnwrap(try store.loadLatest())
        XCTAssertEqual(latest.step, 4)
        XCTAssertEqual(latest.loaderPosition, Data("pos-4".utf8))
        XCTAssertEqual(latest.weights, trainer.sae.weights)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("step-4/tensors.safetensors"))
        XCTAssertThrowsError(try store.loadLatest()) { error in
            guard case .malformed? = error as? CheckpointError else { return XCTFail("\(error)") }
        }
    }
}

/// A source with no rows at all.
struct EmptySource: BatchSource {
    var rowWidth: Int { 16 }
    mutating func nextBatch(into batch: inout [Float], maxRowCount: Int) throws -> Int { 0 }
    func position() throws -> Data { Data() }
    mutating func restore(position: Data) throws {}
}
