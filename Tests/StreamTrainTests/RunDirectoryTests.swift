import Foundation
import XCTest
@testable import StreamTrain
import TestTools

/// A whole run as the CLI will drive it: config, loggers, checkpoints, resume, export.
final class RunDirectoryTests: XCTestCase {
    func testFullRunLayoutResumeAndExport() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try RunDirectory(url: root.appendingPathComponent("run"))
        var config = SAEConfig(architecture: .standard, dIn: 16)
        config.expansionFactor = 4
        config.batchSize = 32
        config.epochs = 2
        config.normalizeActivations = .expectedAverageOnlyIn
        var rng = SeededGenerator(seed: 9)
        let rows = (0..<(320 * 16)).map { _ in rng.nextSymmetric(bound: 3) }
        var options = SAETrainerOptions(logIntervalSteps: 4, checkpointIntervalSteps: 6, keptCheckpointCount: 2)
        try run.saveConfig(config, options: options)
        XCTAssertEqual(try run.loadConfig().0, config)

        // First attempt stops after 9 steps (as if killed after the step-6 checkpoint).
        options.maxSteps = 9
        var source = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 1)
        let first = try SAETrainer(config: config, options: options)
        try first.train(source: &source, loggers: try run.makeLoggers(),
                        checkpoints: run.checkpointStore(keptCount: options.keptCheckpointCount))
        XCTAssertEqual(try run.checkpointStore().steps(), [6, 9])
        // Simulate the kill: drop the final checkpoint, resume from step 6.
        try FileManager.default.removeItem(at: run.checkpointsDirectory.appendingPathComponent("step-9"))

        options.maxSteps = nil
        let checkpoint = try XCTUnwrap(try run.checkpointStore().loadLatest())
        XCTAssertEqual(checkpoint.step, 6)
        let resumed = try SAETrainer(resumingFrom: checkpoint, options: options)
        var freshSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 1)
        let summary = try resumed.train(source: &freshSource, loggers: try run.makeLoggers(resumingFromStep: checkpoint.step),
                                        checkpoints: run.checkpointStore(keptCount: 2))
        XCTAssertEqual(summary.stepCount, 20)
        XCTAssertEqual(summary.stopReason, .epochsCompleted)
        XCTAssertEqual(try run.checkpointStore().steps(), [18, 20])

        var uninterruptedSource = try ArrayBatchSource(rows: rows, rowWidth: 16, seed: 1)
        let uninterrupted = try SAETrainer(config: config, options: options)
        try uninterrupted.train(source: &uninterruptedSource)
        XCTAssertEqual(resumed.sae.weights, uninterrupted.sae.weights)

        // metrics.jsonl: steps 4, 8 from the first attempt were cut back to 4, then 8…20.
        let lines = try String(contentsOf: run.metricsURL, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(objects.compactMap { $0["step"] as? Int }, [4, 8, 12, 16, 20])
        let tbFiles = try FileManager.default.contentsOfDirectory(atPath: run.tensorBoardDirectory.path)
        XCTAssertEqual(tbFiles.filter { $0.hasPrefix("events.out.tfevents.") }.count, 2)

        try SAELensExporter.export(resumed, metadata: SAELensMetadata(modelName: "test", hookName: "blocks.0.hook_resid_pre"),
                                   to: run.saeDirectory)
        let loaded = try SAELensSAE.load(directory: run.saeDirectory)
        let scale = try XCTUnwrap(resumed.state.activationScale)
        let x = Array(rows[0..<(8 * 16)])
        assertClose(loaded.sae.encode(x, rowCount: 8).map(Double.init),
                    resumed.sae.encode(x.map { $0 * scale }, rowCount: 8).map(Double.init),
                    relative: 1e-5, absolute: 1e-6, "exported encode")
        XCTAssertEqual(try XCTUnwrap(loaded.logSparsity).count, 64)

        // TensorBoard's own reader sees exactly the metrics.jsonl records: the killed run's
        // steps 8 and 9 purged by the resumed file's SessionLog START.
        let python = try ExternalTool.python(importing: "tensorboard")
        let points = objects.map { "[\($0["step"] as! Int), \($0["losses/mse_loss"] as! Double)]" }
        let expected = "{\"losses/mse_loss\": [\(points.joined(separator: ", "))]}"
        let result = runProcess(python, [packageRoot.appendingPathComponent("scripts/check_tfevents.py").path,
                                         run.tensorBoardDirectory.path, expected])
        XCTAssertEqual(result.status, 0, result.output)
        if let keep = ProcessInfo.processInfo.environment["SAESTORE_KEEP_TEST_RUN"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: run.url, to: URL(fileURLWithPath: keep))
        }
    }
}
