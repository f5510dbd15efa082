import ActStore
import Foundation
import StreamTrain
import TensorIO
import XCTest
import TestTools

/// `mpirun -np 2 saestore train …` against one process over the same rows (docs/MPI.md).
/// Needs Open MPI's mpirun (a failure under CI=true, a skip elsewhere).
final class MPITrainCommandTests: XCTestCase {
    private func mpirun() throws -> String {
        try ExternalTool.executable(["mpirun"], hint: "apt-get install openmpi-bin, or scripts/setup.sh")
    }

    private func mpirunArguments(ranks: Int) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", (try? saestoreExecutable()) ?? "saestore"]
    }

    private func makeStore(rows: Int = 6000, width: Int = 32) throws -> String {
        let dir = temporaryPath(self, "mpistore")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let npy = dir + "/acts.npy"
        let writer = try NPYWriter(path: npy, rowCount: rows, width: width)
        try writer.append(rows: syntheticActivations(rows: rows, width: width, seed: 11))
        try writer.finish()
        let store = dir + "/s.store"
        let result = try saestore(["import", store, "--column", "blocks.0.hook_resid_pre", npy, "--dtype", "f16", "--chunk-rows", "500", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return store
    }

    private func trainArguments(_ store: String, _ out: String, epochs: Int, checkpointEvery: Int = 15) -> [String] {
        ["train", "--store", store, "--hook", "blocks.0.hook_resid_pre", "--out", out, "--epochs", "\(epochs)", "--batch", "128",
         "--shuffle-buffer-rows", "2000", "--checkpoint-every", "\(checkpointEvery)", "--log-every", "10", "--seed", "3",
         "--normalize", "expected_average_only_in", "--holdout", "0", "--quiet"]
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> CLIRunResult {
        try runProcess(executable, arguments)
    }

    /// ‖a − b‖₂ / ‖a‖₂ per tensor: robust to the few entries a rounding-level flip at a ReLU
    /// boundary moves further than the rest (largest-entry differences are 10x larger).
    private func relativeDifferences(_ a: String, _ b: String,
                                     names: [String] = ["W_enc", "W_dec", "b_enc", "b_dec"]) throws -> [String: Double] {
        let x = try SafetensorsFile(path: a + "/sae/sae_weights.safetensors")
        let y = try SafetensorsFile(path: b + "/sae/sae_weights.safetensors")
        var out: [String: Double] = [:]
        for name in names {
            let p = try x.floats(name), q = try y.floats(name)
            XCTAssertEqual(p.count, q.count, name)
            let difference = zip(p, q).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
            out[name] = difference / max(p.map { Double($0) * Double($0) }.reduce(0, +).squareRoot(), 1e-30)
        }
        return out
    }

    /// The equivalence the issue asks for: 2 ranks with global batch B (each 64 of 128 rows a
    /// step) end with the same weights as 1 process with batch B over the same rows (the same 2
    /// streams) after 141 steps, within 1e-4 relative L2 per tensor. Only the summation order
    /// differs (two half-batch sgemms + an allreduce vs one full-batch sgemm): per step that is
    /// Float rounding (~1e-7), and the rare (row, latent) pair whose pre-activation sits at the
    /// ReLU's 0 flips, so a few latents drift further; measured 3e-5 here (median entry 5e-7),
    /// 2e-7 on Gaussian data. A plain single-stream run reads other rows per step and differs
    /// by 4e-2, so the comparison can fail.
    func testTwoRanksTrainTheSameWeightsAsOneProcessOverTheSameRows() throws {
        let mpirun = try mpirun()
        let store = try makeStore()
        let single = temporaryPath(self, "single")
        let one = try saestore(trainArguments(store, single, epochs: 3) + ["--streams", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let parallel = temporaryPath(self, "parallel")
        let two = try run(mpirun, mpirunArguments(ranks: 2) + trainArguments(store, parallel, epochs: 3) + ["--check-replicas-every", "1"])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertTrue(two.stdout.contains("data-parallel: 2 ranks, 2 streams"), two.stdout)
        XCTAssertEqual(two.stdout.components(separatedBy: "trained ").count, 2, "only rank 0 prints: \(two.stdout)")

        for (name, difference) in try relativeDifferences(single, parallel) {
            XCTAssertLessThanOrEqual(difference, 1e-4, name)
        }
        // Same steps, tokens and epochs, and metrics (summed over ranks) within rounding.
        let a = try metrics(single), b = try metrics(parallel)
        XCTAssertEqual(a.map(\.step), b.map(\.step))
        XCTAssertEqual(a.map(\.tokens), b.map(\.tokens))
        XCTAssertEqual(a.last?.tokens, 3 * 6000)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.mse, y.mse, accuracy: 1e-5 * x.mse)
            XCTAssertEqual(x.l0, y.l0, accuracy: 1e-3 * x.l0)
        }

        // Three streams on two ranks: unequal shares (2 + 1 streams), weighted by row counts.
        let uneven1 = temporaryPath(self, "uneven1"), uneven2 = temporaryPath(self, "uneven2")
        XCTAssertEqual(try saestore(trainArguments(store, uneven1, epochs: 2) + ["--streams", "3"]).status, 0)
        let three = try run(mpirun, mpirunArguments(ranks: 2) + trainArguments(store, uneven2, epochs: 2)
                            + ["--streams", "3", "--check-replicas-every", "5"])
        XCTAssertEqual(three.status, 0, three.stderr)
        for (name, difference) in try relativeDifferences(uneven1, uneven2) {
            XCTAssertLessThanOrEqual(difference, 1e-4, "3 streams, \(name)")
        }

        let plain = temporaryPath(self, "plain")
        XCTAssertEqual(try saestore(trainArguments(store, plain, epochs: 3)).status, 0)
        XCTAssertGreaterThan(try relativeDifferences(single, plain)["W_enc"]!, 1e-2)
    }

    /// The gated SAE data-parallel: its gradient reduction carries r_mag and b_mag, so 2 ranks
    /// end where one process with the same 2 streams does, within the bound (and for the reason)
    /// of the test above; a plain run reads other rows and differs far more.
    func testGatedTwoRanksTrainTheSameWeightsAsOneProcessOverTheSameRows() throws {
        let mpirun = try mpirun()
        let store = try makeStore()
        let gated = ["--arch", "gated", "--l1", "0.3"]
        let single = temporaryPath(self, "gated-single"), parallel = temporaryPath(self, "gated-parallel")
        let one = try saestore(trainArguments(store, single, epochs: 2) + gated + ["--streams", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try run(mpirun, mpirunArguments(ranks: 2) + trainArguments(store, parallel, epochs: 2) + gated
                          + ["--check-replicas-every", "1"])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertTrue(two.stdout.contains("data-parallel: 2 ranks, 2 streams"), two.stdout)
        let names = ["W_enc", "W_dec", "b_gate", "b_dec", "r_mag", "b_mag"]
        let differences = try relativeDifferences(single, parallel, names: names)
        XCTAssertEqual(Set(differences.keys), Set(names))
        for (name, difference) in differences {
            XCTAssertLessThanOrEqual(difference, 1e-4, "gated \(name)")
        }
        let plain = temporaryPath(self, "gated-plain")
        XCTAssertEqual(try saestore(trainArguments(store, plain, epochs: 2) + gated).status, 0)
        XCTAssertGreaterThan(try relativeDifferences(single, plain, names: names)["W_enc"]!, 1e-2)
    }

    /// Launched as one of several ranks (the environment says so) without a usable libmpi:
    /// a clear error, not a crash or a silent single-process run. A plain run never loads it.
    func testSeveralRanksWithoutLibMPIFailClearly() throws {
        let store = try makeStore(rows: 600)
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_COMM_WORLD_SIZE"] = "2"
        environment["OMPI_COMM_WORLD_RANK"] = "0"
        environment["SAESTORE_LIBMPI"] = "/nonexistent/libmpi.so.40"
        let result = try saestore(trainArguments(store, temporaryPath(self, "nompi"), epochs: 1), environment: environment)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("launched by mpirun with several ranks") && result.stderr.contains("/nonexistent/libmpi.so.40")
                      && result.stderr.contains("apt-get install openmpi-bin"), result.stderr)
        // The same without the launcher's variables trains alone and never opens libmpi.
        environment["OMPI_COMM_WORLD_SIZE"] = nil
        environment["OMPI_COMM_WORLD_RANK"] = nil
        let plain = try saestore(trainArguments(store, temporaryPath(self, "plain"), epochs: 1), environment: environment)
        XCTAssertEqual(plain.status, 0, plain.stderr)
    }

    private struct Record { var step: Int; var tokens: Int; var mse: Double; var l0: Double }

    private func metrics(_ run: String) throws -> [Record] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return Record(step: object["step"] as! Int, tokens: object["tokens"] as! Int,
                          mse: object["losses/mse_loss"] as! Double, l0: object["metrics/l0"] as! Double)
        }
    }

    /// kill -9 one rank mid-run: mpirun ends the job with a non-zero status naming the rank;
    /// the last checkpoint rank 0 wrote loads, and the run resumes from it on ONE process (the
    /// stream count stays 2, from run.json) to the weights of an uninterrupted one-process run
    /// over the same rows (469 steps), within 1e-3 relative L2 per tensor (the 2-rank steps sum
    /// in another order; see above).
    func testKilledRankEndsTheJobAndTheRunResumesOnAnotherRankCount() throws {
        let mpirun = try mpirun()
        let store = try makeStore()
        let epochs = 10
        let reference = temporaryPath(self, "reference")
        let clean = try saestore(trainArguments(store, reference, epochs: epochs, checkpointEvery: 20) + ["--streams", "2"])
        XCTAssertEqual(clean.status, 0, clean.stderr)

        let killed = temporaryPath(self, "killed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = mpirunArguments(ranks: 2) + trainArguments(store, killed, epochs: epochs, checkpointEvery: 20)
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let checkpoints = URL(fileURLWithPath: killed + "/checkpoints")
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline
                && ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path))?.filter { $0.hasPrefix("step-") }.isEmpty ?? true) {
            usleep(20_000)
        }
        XCTAssertTrue(process.isRunning, "the run ended before it could be killed")
        let ranks = childProcesses(of: process.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "mpirun's children: \(ranks)")
        guard let victim = ranks.last else { return }
        kill(victim, SIGKILL)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(stderr.contains("exited on signal 9"), stderr)

        let latest = try CheckpointStore(directory: checkpoints).loadLatest()
        XCTAssertNotNil(latest)
        XCTAssertLessThan(latest!.step, epochs * 6000 / 128)
        let resumed = try saestore(trainArguments(store, killed, epochs: epochs, checkpointEvery: 20) + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resumed from step \(latest!.step)"), resumed.stdout)
        for (name, difference) in try relativeDifferences(reference, killed) {
            XCTAssertLessThanOrEqual(difference, 1e-3, name)
        }
    }

    private func childProcesses(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }.sorted()
    }
}
