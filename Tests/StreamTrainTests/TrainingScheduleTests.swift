import XCTest
@testable import StreamTrain

/// `TrainingSchedule` against SAELens' own schedulers (scripts/fixtures/saelens_schedules.py:
/// get_lr_scheduler and CoefficientScheduler, step by step), and the trainer applying it.
final class TrainingScheduleTests: XCTestCase {
    func testLearningRatesAndCoefficientsMatchSAELens() throws {
        let url = packageRoot.appendingPathComponent("Tests/StreamTrainTests/Fixtures/saelens_schedules.json")
        let fixture = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let lr = try XCTUnwrap(fixture["lr"] as? Double), steps = try XCTUnwrap(fixture["steps"] as? Int)
        for case let c as [String: Any] in try XCTUnwrap(fixture["cases"] as? [Any]) {
            var schedule = TrainingSchedule()
            schedule.scheduler = c["scheduler"] as? String == "cosineannealing" ? .cosine : .constant
            schedule.warmupSteps = try XCTUnwrap(c["warmup"] as? Int)
            schedule.decaySteps = try XCTUnwrap(c["decay"] as? Int)
            schedule.endLearningRate = try XCTUnwrap(c["lr_end"] as? Double)
            schedule.totalSteps = steps
            let rates = try XCTUnwrap(c["rates"] as? [Double])
            for t in 0..<steps {
                // torch's recursive cosine form and its chained LinearLR drift from the closed
                // forms by rounding only: 1e-9 relative.
                XCTAssertEqual(schedule.learningRate(step: t, base: lr), rates[t], accuracy: 1e-9 * lr,
                               "\(c["scheduler"]!) warmup \(schedule.warmupSteps) decay \(schedule.decaySteps) step \(t)")
            }
        }
        let coefficient = try XCTUnwrap(fixture["coefficient"] as? [String: Any])
        var schedule = TrainingSchedule()
        schedule.sparsityWarmupSteps = try XCTUnwrap(coefficient["warmup"] as? Int)
        let final = try XCTUnwrap(coefficient["final"] as? Double)
        for (t, value) in try XCTUnwrap(coefficient["values"] as? [Double]).enumerated() {
            XCTAssertEqual(schedule.sparsityCoefficient(step: t, final: final), value, accuracy: 1e-15, "step \(t)")
        }
    }

    func testTrainerFollowsTheScheduleAndValidatesIt() throws {
        var config = SAEConfig(architecture: .topk, dIn: 8)
        config.dSAE = 32
        config.k = 4
        config.batchSize = 16
        config.schedule.warmupSteps = 3
        config.schedule.kStart = 12
        config.schedule.kAnnealSteps = 4
        let trainer = try SAETrainer(config: config)
        let x = TestSAE.batch(rowCount: 16, dIn: 8)
        for t in 0..<6 {
            let losses = try trainer.step(rows: x, rowCount: 16)
            // The step used the schedule's rate and k: at most k latents open per row.
            XCTAssertEqual(trainer.optimizer.learningRate, config.schedule.learningRate(step: t, base: config.learningRate))
            XCTAssertEqual(trainer.sae.k, config.schedule.k(step: t, final: 4), "step \(t)")
            XCTAssertLessThanOrEqual(losses.activeLatentCount, 16 * trainer.sae.k)
        }
        XCTAssertEqual(trainer.sae.k, 4)
        var bad = config
        bad.schedule.kStart = 2
        XCTAssertThrowsError(try bad.validate()) { XCTAssertEqual(($0 as? SAEConfigError)?.field, "schedule.kStart") }
        bad = config
        bad.schedule.scheduler = .cosine
        XCTAssertThrowsError(try bad.validate()) { XCTAssertEqual(($0 as? SAEConfigError)?.field, "schedule.totalSteps") }
        // The schedule is part of the config a run saves.
        let decoded = try JSONDecoder().decode(SAEConfig.self, from: try JSONEncoder().encode(config))
        XCTAssertEqual(decoded, config)
    }
    func testMetricsRecordTheScheduledLearningRate() throws {
        var config = SAEConfig(architecture: .topk, dIn: 8)
        config.dSAE = 32
        config.k = 4
        config.batchSize = 16
        config.learningRate = 1e-3
        config.schedule.warmupSteps = 6
        let rows = TestSAE.batch(rowCount: 16 * 8, dIn: 8)
        var source = try ArrayBatchSource(rows: rows, rowWidth: 8, seed: 1)
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(logIntervalSteps: 2, maxSteps: 8))
        var records: [TrainingMetrics] = []
        try trainer.train(source: &source) { if case .metrics(let m) = $0 { records.append(m) } }
        // Each record carries the rate of its window's last step (0-based step index step − 1),
        // still rising during the warm-up, then flat at the base rate.
        XCTAssertEqual(records.map(\.step), [2, 4, 6, 8])
        for record in records {
            let expected = config.schedule.learningRate(step: record.step - 1, base: config.learningRate)
            XCTAssertEqual(record.learningRate, expected, "step \(record.step)")
            XCTAssertEqual(record.scalars.first { $0.tag == "details/current_learning_rate" }?.value, expected)
        }
        XCTAssertLessThan(records[0].learningRate, records[1].learningRate)
        XCTAssertEqual(records[3].learningRate, config.learningRate)
    }
}
