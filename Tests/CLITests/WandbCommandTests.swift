import Foundation
import TensorIO
import XCTest
import TestTools

/// `saestore train --wandb` through the real wandb client in offline mode (WANDB_MODE=offline),
/// read back from the offline run's transaction log by scripts/read_wandb_offline.py (wandb's
/// own protobuf schema): every metrics.jsonl record at its step, the config, the SAELens export
/// as a model artifact, and a killed-and-resumed run that continues the same W&B run id with
/// steps that never go backwards. Needs wandb (a failure under CI=true, a skip elsewhere).
final class WandbCommandTests: XCTestCase {
    private let hook = "blocks.0.hook_resid_pre"

    private func makeStore(rows: Int, width: Int) throws -> String {
        let dir = temporaryPath(self, "wandb-store")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let npy = dir + "/acts.npy"
        let writer = try NPYWriter(path: npy, rowCount: rows, width: width)
        try writer.append(rows: syntheticActivations(rows: rows, width: width, seed: 5))
        try writer.finish()
        let store = dir + "/s.store"
        let result = try saestore(["import", store, "--column", hook, npy, "--dtype", "f16", "--chunk-rows", "500", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return store
    }

    private var offlineEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["WANDB_MODE"] = "offline"
        environment["WANDB_SILENT"] = "true"
        environment["SAESTORE_PYTHON"] = ExternalTool.python
        return environment
    }

    private func metricsRecords(_ run: String) throws -> [[String: Any]] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    private func offlineRuns(_ python: String, _ run: String) throws -> [[String: Any]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/read_wandb_offline.py").path
        let result = try runProcess("/usr/bin/env", [python, script, run + "/wandb"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], result.stdout)
    }

    /// W&B's history equals metrics.jsonl: the same steps in the same order, each record's values
    /// (all but the wall-clock throughput, which a replayed step measures anew).
    private func assertHistoryEqualsMetrics(_ runs: [[String: Any]], _ records: [[String: Any]], file: StaticString = #filePath, line: UInt = #line) {
        let history = runs.flatMap { $0["history"] as? [[String: Any]] ?? [] }
        let steps = history.compactMap { $0["step"] as? Int }
        XCTAssertEqual(steps, records.compactMap { $0["step"] as? Int }, "W&B steps vs metrics.jsonl", file: file, line: line)
        XCTAssertEqual(steps, steps.sorted(), file: file, line: line)
        XCTAssertEqual(Set(steps).count, steps.count, "a step logged twice", file: file, line: line)
        for (point, record) in zip(history, records) {
            let values = point["values"] as? [String: Any] ?? [:]
            for (key, value) in record where !["step", "wall_time", "performance/tokens_per_second"].contains(key) {
                XCTAssertEqual(values[key] as? Double, (value as? NSNumber)?.doubleValue, "\(key) at step \(point["step"] ?? "?")", file: file, line: line)
            }
        }
    }

    func testTrainLogsEveryRecordConfigAndExportThenResumesTheSameRun() throws {
        let python = try ExternalTool.python(importing: "wandb", hint: "pip install wandb")
        let store = try makeStore(rows: 4000, width: 64)
        let run = temporaryPath(self, "wandb-run")
        let arguments = ["train", "--store", store, "--hook", hook, "--out", run, "--expansion", "16", "--batch", "512",
                         "--max-steps", "80", "--log-every", "5", "--checkpoint-every", "20", "--seed", "2", "--quiet",
                         "--wandb", "--wandb-project", "saestore-test"]

        // Killed once it has logged step 45 (after its step-40 checkpoint): the resumed run replays
        // steps 41.. that W&B already holds.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try saestoreExecutable())
        process.arguments = arguments
        process.environment = offlineEnvironment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        var killedAt: Int?
        while process.isRunning, Date() < deadline {
            if let steps = try? metricsRecords(run).compactMap({ $0["step"] as? Int }), let last = steps.last, last >= 45 {
                kill(process.processIdentifier, SIGKILL)
                killedAt = last
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        let killedStep = try XCTUnwrap(killedAt, "training finished (or stalled) before it could be killed at step 45")
        XCTAssertLessThan(killedStep, 80)

        let resumed = try saestore(arguments + ["--resume"], environment: offlineEnvironment)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resumed from step 40"), resumed.stdout)

        let runJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json"))) as? [String: Any])
        let id = try XCTUnwrap(runJSON["wandbRunID"] as? String)
        XCTAssertTrue(resumed.stdout.contains("W&B: run \(id)"), resumed.stdout)
        let runs = try offlineRuns(python, run)
        XCTAssertEqual(runs.count, 2, "one offline run per process: \(runs.map { $0["dir"] ?? "" })")
        XCTAssertEqual(runs.map { $0["id"] as? String }, [id, id], "the resumed process continues the same W&B run")
        XCTAssertEqual(runs.first?["project"] as? String, "saestore-test")
        XCTAssertEqual(runs.first?["exit_code"] as? Int, 1, "the killed run ends as failed")
        XCTAssertEqual(runs.last?["exit_code"] as? Int, 0)
        for key in ["sae", "trainer", "run"] {
            XCTAssertTrue((runs.first?["config"] as? [String] ?? []).contains(key), "config lacks \(key): \(runs.first?["config"] ?? "")")
        }
        // The resumed process logged only steps after those the killed one logged.
        let firstSteps = (runs[0]["history"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? Int }
        let secondSteps = (runs[1]["history"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? Int }
        XCTAssertGreaterThanOrEqual(firstSteps.last ?? 0, 45)
        XCTAssertGreaterThan(secondSteps.first ?? 0, firstSteps.last ?? .max)
        XCTAssertEqual(secondSteps.last, 80)
        assertHistoryEqualsMetrics(runs, try metricsRecords(run))

        let artifacts = runs.flatMap { $0["artifacts"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(artifacts.count, 1, "\(artifacts)")
        XCTAssertEqual(artifacts.first?["name"] as? String, "sae-\(id)")
        XCTAssertEqual(artifacts.first?["type"] as? String, "model")
        XCTAssertEqual(artifacts.first?["files"] as? [String], ["cfg.json", "sae_weights.safetensors", "sparsity.safetensors"])
    }

    /// `scripts/wandb_stream.py RUN --follow` beside a run that is killed and resumed: the
    /// resumed run rewrites metrics.jsonl (a new file under the same name), which the follower
    /// reopens; the steps it had already logged are not logged again.
    func testFollowSurvivesRewrittenMetricsAndNeverGoesBackwards() throws {
        let python = try ExternalTool.python(importing: "wandb", hint: "pip install wandb")
        let run = temporaryPath(self, "wandb-follow")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let metrics = URL(fileURLWithPath: run + "/metrics.jsonl")
        func line(_ step: Int, _ loss: Double) -> String { "{\"step\":\(step),\"losses/mse_loss\":\(loss)}\n" }
        try Data((line(1, 0.9) + line(2, 0.8) + line(3, 0.7)).utf8).write(to: metrics)

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/wandb_stream.py").path
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        follower.arguments = [python, script, run, "--follow", "--poll", "0.05", "--project", "saestore-test"]
        follower.environment = offlineEnvironment
        let err = Pipe()
        follower.standardOutput = FileHandle.nullDevice
        follower.standardError = err
        try follower.run()
        // Wait until the follower has logged step 3 (its state file says so) before the rewrite.
        let state = run + "/wandb/saestore-state.json"
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: state),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["last_step"] as? Int == 3 { break }
            usleep(20_000)
        }
        // The resumed run (from a checkpoint at step 2) keeps steps ≤ 2, replays 3, goes on to 5.
        let temporary = URL(fileURLWithPath: run + "/metrics.jsonl.tmp")
        try Data((line(1, 0.9) + line(2, 0.8) + line(3, 0.7)).utf8).write(to: temporary)
        XCTAssertEqual(rename(temporary.path, metrics.path), 0, "rename, as MetricsJSONLWriter does")
        let handle = try FileHandle(forWritingTo: metrics)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line(4, 0.6) + line(5, 0.5)).utf8))
        try handle.close()
        usleep(300_000)
        try FileManager.default.createDirectory(atPath: run + "/sae", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: run + "/sae/cfg.json"))
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        follower.waitUntilExit()
        XCTAssertEqual(follower.terminationStatus, 0, String(decoding: stderr, as: UTF8.self))

        let runs = try offlineRuns(python, run)
        XCTAssertEqual(runs.count, 1)
        let history = runs.flatMap { $0["history"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(history.compactMap { $0["step"] as? Int }, [1, 2, 3, 4, 5])
        XCTAssertEqual(history.compactMap { ($0["values"] as? [String: Any])?["losses/mse_loss"] as? Double }, [0.9, 0.8, 0.7, 0.6, 0.5])
        XCTAssertEqual((runs.first?["artifacts"] as? [[String: Any]])?.first?["type"] as? String, "model")
    }

    /// Without the wandb client, `train --wandb` stops before training with `pip install wandb`.
    func testMissingClientFailsBeforeTrainingNamingPipInstall() throws {
        _ = try ExternalTool.python(importing: "json")
        let store = try makeStore(rows: 600, width: 16)
        let shadow = temporaryPath(self, "no-wandb")
        try FileManager.default.createDirectory(atPath: shadow, withIntermediateDirectories: true)
        // A module named wandb that fails to import, first on the path: wandb "is missing".
        try Data("raise ImportError('No module named wandb (test shadow)')\n".utf8).write(to: URL(fileURLWithPath: shadow + "/wandb.py"))
        var environment = offlineEnvironment
        environment["PYTHONPATH"] = shadow
        let run = temporaryPath(self, "no-wandb-run")
        let result = try saestore(["train", "--store", store, "--hook", hook, "--out", run, "--max-steps", "4", "--quiet", "--wandb"],
                                  environment: environment)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("pip install wandb"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/checkpoints"), "nothing trained")
    }
}
