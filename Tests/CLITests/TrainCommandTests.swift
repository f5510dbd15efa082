import ActStore
import Foundation
import TensorIO
import XCTest

final class TrainCommandTests: XCTestCase {
    private func makeStore(rows: Int = 6000, width: Int = 32) throws -> String {
        let dir = temporaryPath(self, "store")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let npy = dir + "/acts.npy"
        let writer = try NPYWriter(path: npy, rowCount: rows, width: width)
        try writer.append(rows: syntheticActivations(rows: rows, width: width, seed: 9))
        try writer.finish()
        let store = dir + "/s.store"
        let result = try saestore(["import", store, "--column", "blocks.0.hook_resid_pre", npy, "--dtype", "f16", "--chunk-rows", "500", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return store
    }

    private func trainArguments(_ store: String, _ out: String) -> [String] {
        ["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", out, "--epochs", "6", "--batch", "128",
         "--shuffle-buffer-rows", "2000", "--checkpoint-every", "15", "--log-every", "10", "--seed", "3", "--quiet"]
    }

    /// SIGKILL a training run at random instants, resume each time with --resume: the final
    /// SAE equals an uninterrupted run's bit for bit (the loader replays its shuffle exactly).
    func testKilledTrainingResumesToTheSameWeights() throws {
        let store = try makeStore()
        let clean = temporaryPath(self, "clean")
        XCTAssertEqual(try saestore(trainArguments(store, clean)).status, 0)
        let started = Date()
        _ = try saestore(trainArguments(store, temporaryPath(self, "timing")))
        let seconds = Date().timeIntervalSince(started)

        let killed = temporaryPath(self, "killed")
        var kills = 0
        var rng = SystemRandomNumberGenerator()
        for attempt in 0..<12 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try saestoreExecutable())
            process.arguments = trainArguments(store, killed) + (attempt == 0 ? [] : ["--resume"])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(seconds * 1e6 * Double.random(in: 0.15...0.5, using: &rng)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            if process.terminationReason == .exit && process.terminationStatus == 0 { break }
        }
        let last = try saestore(trainArguments(store, killed) + ["--resume"])
        XCTAssertEqual(last.status, 0, last.stderr)
        XCTAssertGreaterThan(kills, 0)

        let a = try SafetensorsFile(path: clean + "/sae/sae_weights.safetensors")
        let b = try SafetensorsFile(path: killed + "/sae/sae_weights.safetensors")
        for name in ["W_enc", "W_dec", "b_enc", "b_dec"] {
            XCTAssertEqual(try a.floats(name), try b.floats(name), "\(name) after \(kills) kills")
        }
        // metrics.jsonl of the resumed run has each step once, in order.
        let steps = try String(contentsOfFile: killed + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["step"] as? Int
        }
        XCTAssertEqual(steps, steps.sorted())
        XCTAssertEqual(Set(steps).count, steps.count)
    }

    /// With `--min-position` the rows per epoch are counted once, from the whole `pos` column,
    /// and kept in run.json; `--resume` takes them from there instead of re-reading the column
    /// (which would make a resume cost O(store)). Shown by editing the saved count: the resume
    /// then refuses it against the checkpoint's loader, which it could not if it recounted.
    func testResumeTakesTheRowsPerEpochFromRunJSONInsteadOfRecountingPositions() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = temporaryPath(self, "rows-per-epoch")
        let store = dir + "/s.store", out = dir + "/run"
        let ingest = try saestore(["ingest", "--model", root.appendingPathComponent("demo/model").path,
                                   "--corpus", root.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt").path,
                                   "--separator", "\\n\\n", "--store", store, "--hook", "blocks.2.hook_resid_pre", "--context", "32",
                                   "--max-store-rows", "3000", "--quiet"])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let reader = try StoreReader(path: store)
        let positions = try reader.readIntegers(column: TokenColumn.position, rows: 0..<reader.rowCount)
        // The same options every time (a resume must match them; the dead window is given, or it
        // would follow the rows per epoch): the finished run resumes from
        // its last checkpoint, which restores the loader, and stops at once.
        func train(resume: Bool) throws -> CLIRunResult {
            try saestore(["train", "--store", store, "--hook", "blocks.2.hook_resid_pre", "--out", out, "--min-position", "1",
                          "--holdout", "0", "--dead-window-tokens", "1000", "--batch", "64", "--max-steps", "20", "--checkpoint-every", "10", "--seed", "4", "--quiet"]
                         + (resume ? ["--resume"] : []))
        }
        let first = try train(resume: false)
        XCTAssertEqual(first.status, 0, first.stderr)
        let runJSON = out + "/run.json"
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: runJSON))) as? [String: Any])
        let kept = positions.filter { $0 >= 1 }.count
        XCTAssertLessThan(kept, reader.rowCount, "the filter drops the BOS rows")
        XCTAssertEqual(config["rowsPerEpoch"] as? Int, kept)

        let resumed = try train(resume: true)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        config["rowsPerEpoch"] = kept - 1
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: runJSON))
        let stale = try train(resume: true)
        XCTAssertNotEqual(stale.status, 0)
        XCTAssertTrue(stale.stderr.contains("\(kept) rows per epoch, this one has \(kept - 1)"), stale.stderr)
    }

    /// A run killed before its first checkpoint leaves metrics.jsonl lines but nothing to resume
    /// from: `--resume` starts again at step 0 and must not log those steps a second time (the
    /// once-flaky case of the kill test above, made deterministic).
    func testResumeWithNoCheckpointDropsTheKilledAttemptsMetrics() throws {
        let store = try makeStore(rows: 1200)
        let out = temporaryPath(self, "precheckpoint")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // What the killed attempt left: two records, no checkpoint.
        try "{\"step\":10,\"tokens\":1280}\n{\"step\":20,\"tokens\":2560}\n".write(toFile: out + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let result = try saestore(["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", out, "--epochs", "2",
                                   "--batch", "128", "--log-every", "5", "--seed", "3", "--quiet", "--resume"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let steps = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["step"] as? Int
        }
        XCTAssertFalse(steps.isEmpty)
        XCTAssertEqual(steps, steps.sorted())
        XCTAssertEqual(Set(steps).count, steps.count, "\(steps)")
        XCTAssertTrue(steps.contains(10), "step 10 logged by this run: \(steps)")
    }

    func testBadInputsFailWithClearMessages() throws {
        let store = try makeStore(rows: 600)
        let out = temporaryPath(self, "bad")
        let missing = try saestore(["train", "--store", store, "--hook", "blocks.9.hook_resid_pre", "--out", out])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("has no column \"blocks.9.hook_resid_pre\""), missing.stderr)
        let noStore = try saestore(["train", "--store", out + "/nothing", "--hook", "h", "--out", out])
        XCTAssertTrue(noStore.stderr.contains("is not a saestore store"), noStore.stderr)
        let badArch = try saestore(["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", out, "--arch", "bogus"])
        XCTAssertTrue(badArch.stderr.contains("--arch must be"), badArch.stderr)
        let badKernels = try saestore(["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", out, "--kernels", "fast"])
        XCTAssertTrue(badKernels.stderr.contains("--kernels must be auto, dense or sparse"), badKernels.stderr)
        let badThreads = try saestore(["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", out, "--kernel-threads", "0"])
        XCTAssertTrue(badThreads.stderr.contains("kernelThreadCount"), badThreads.stderr)
    }

    /// --kernels sparse and --kernels dense train the same SAE (to Float rounding; docs/SAE.md).
    func testSparseAndDenseKernelsTrainTheSameSAE() throws {
        let store = try makeStore(rows: 1200)
        var weights: [[String: [Float]]] = []
        for kernels in ["dense", "sparse"] {
            let out = temporaryPath(self, kernels)
            let result = try saestore(["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", out,
                                       "--arch", "topk", "--k", "8", "--batch", "100", "--max-steps", "20",
                                       "--kernels", kernels, "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let file = try SafetensorsFile(path: out + "/sae/sae_weights.safetensors")
            weights.append(Dictionary(uniqueKeysWithValues: try ["W_enc", "W_dec", "b_enc", "b_dec"].map { ($0, try file.floats($0)) }))
            let saved = try String(contentsOfFile: out + "/run.json", encoding: .utf8)
            XCTAssertTrue(saved.contains("\"kernels\" : \"\(kernels)\""), saved)
        }
        for name in ["W_enc", "W_dec", "b_enc", "b_dec"] {
            let worst = zip(weights[0][name]!, weights[1][name]!).map { abs($0 - $1) }.max() ?? .nan
            XCTAssertLessThanOrEqual(worst, 1e-4, name)
        }
    }

    func testTrainingStopsOnNaNActivationsNamingTheStep() throws {
        let dir = temporaryPath(self, "nan")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var values = syntheticActivations(rows: 1000, width: 8, seed: 1)
        values[700 * 8 + 3] = .nan
        let writer = try NPYWriter(path: dir + "/a.npy", rowCount: 1000, width: 8)
        try writer.append(rows: values)
        try writer.finish()
        XCTAssertEqual(try saestore(["import", dir + "/s.store", "--column", "x", dir + "/a.npy", "--dtype", "f32", "--quiet"]).status, 0)
        let result = try saestore(["train", "--store", dir + "/s.store", "--hook", "x", "--out", dir + "/run", "--epochs", "2", "--batch", "100", "--quiet", "--no-stream"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.lowercased().contains("step"), result.stderr)
        XCTAssertTrue(result.stderr.contains("nan") || result.stderr.contains("NaN"), result.stderr)
    }
}
