import ArgumentParser
import CBLAS
import Dispatch
import Foundation
import StreamTrain
import TensorIO
import BLASKernels

/// Swift half of benchmarks/sparse/run.sh: trains one SAE on the rows of a .npy file, in file
/// order (batch s = rows 512·s ..< 512·(s+1), wrapping), from a state shared with the PyTorch
/// side, and prints one JSON line: tokens/s over the steps after the warm-up, the loss of every
/// step, L0 and how many measured steps took the sparse kernels.
///
/// A state file (safetensors) holds W_enc, b_enc, b_dec, W_dec (untied) and optionally Adam's
/// moments (`adam.m.<name>`, `adam.v.<name>`) with metadata `adam_step` and `next_batch`, so
/// both sides can start from a trained state: `--write-init FILE` writes the seeded initial
/// weights and exits; `--save-state FILE` writes the state after training.
/// `--sweep` instead times single steps at fixed densities (TopK with k = density · d_sae),
/// dense against sparse, which is how `SAEKernelMode.autoDensityThreshold` was chosen.
/// `--encode` times `SAEEncoder` (encode, encodeSparse, reconstruct sparse and dense) on the
/// trained-state SAE after the warm-up.
struct SparseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparse", abstract: "SAE training throughput with sparse and dense kernels.")

    @Option(help: "Rows (.npy, float32, (N, d_in)).") var data: String?
    @Option(help: "d_in when there is no --data (for --write-init / --sweep).") var dIn = 768
    @Option var arch = "topk"
    @Option var dSAE = 6144
    @Option var k = 64
    @Option var l1 = 0.0
    @Option var lr = 1e-3
    @Option var batch = 512
    @Option var seed: UInt64 = 0
    @Option(help: "Start from this state (weights, optionally Adam moments and the next batch).") var state: String?
    @Option(help: "Write the seeded initial weights here and exit.") var writeInit: String?
    @Option(help: "Write the state after training here.") var saveState: String?
    @Option(help: "auto, dense or sparse.") var kernels = "auto"
    @Option var warmupSteps = 10
    @Option var steps = 30
    @Option(help: "OpenBLAS threads (and SAE kernel threads unless --kernel-threads).") var threads = 2
    @Option(help: "SAE kernel threads (default: --threads).") var kernelThreads: Int?
    @Option var label = ""
    @Flag(help: "Time dense vs sparse single steps over a range of densities.") var sweep = false
    @Option(parsing: .upToNextOption, help: "Densities for --sweep.")
    var densities: [Double] = [0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3]
    @Flag(help: "After the warm-up, time the encoder paths instead of training.") var encode = false
    @Flag(help: "Also report the mean ms per step of each phase (SAETrainer.phaseSeconds) over the timed steps.")
    var phases = false

    func config(dIn: Int) throws -> SAEConfig {
        guard let architecture = SAEArchitecture(rawValue: arch) else { throw ValidationError("--arch \(arch)?") }
        var config = SAEConfig(architecture: architecture, dIn: dIn)
        config.dSAE = dSAE
        config.k = architecture == .topk ? k : 0
        config.l1Coefficient = l1
        config.learningRate = lr
        config.batchSize = batch
        config.seed = seed
        return config
    }

    func run() throws {
        BLAS.threadCount = threads
        if let path = writeInit {
            let sae = try SparseAutoencoder(config: config(dIn: dIn))
            try writeState(path: path, weights: sae.weights, adam: nil, nextBatch: 0, C: dIn)
            return
        }
        guard let kernelMode = SAEKernelMode(rawValue: kernels) else { throw ValidationError("--kernels \(kernels)?") }
        if sweep { return try runSweep() }
        guard let data else { throw ValidationError("--data is required") }
        let file = try NPYFile(path: data)
        let rows = try file.allFloats()
        let C = file.width, batchCount = file.rowCount / batch
        guard batchCount > 0 else { throw ValidationError("\(data) has fewer than \(batch) rows") }
        let options = SAETrainerOptions(kernels: kernelMode, kernelThreadCount: kernelThreads ?? threads)
        var trainer = try SAETrainer(config: config(dIn: C), options: options)
        var firstBatch = 0
        if let state {
            let st = try SafetensorsFile(path: state)
            var checkpoint = trainer.checkpoint(loaderPosition: Data())
            func tensor(_ name: String) throws -> [Float] { st.tensorNames.contains(name) ? try st.floats(name) : [] }
            checkpoint.weights = SAEWeights(wEnc: try tensor("W_enc"), bEnc: try tensor("b_enc"),
                                            wDec: try tensor("W_dec"), bDec: try tensor("b_dec"))
            if let step = st.metadata["adam_step"].flatMap(Int.init), step > 0 {
                checkpoint.adam = AdamState(stepCount: step,
                                            firstMoments: try SAEWeights.tensorNames.map { try tensor("adam.m." + $0) },
                                            secondMoments: try SAEWeights.tensorNames.map { try tensor("adam.v." + $0) })
                checkpoint.state.stepCount = step
            }
            firstBatch = st.metadata["next_batch"].flatMap(Int.init) ?? 0
            trainer = try SAETrainer(resumingFrom: checkpoint, options: options)
        }
        var x = [Float](repeating: 0, count: batch * C)
        func load(_ step: Int) {
            let s = (firstBatch + step) % batchCount
            x.withUnsafeMutableBufferPointer { x in
                rows.withUnsafeBufferPointer { r in
                    x.baseAddress!.update(from: r.baseAddress! + s * batch * C, count: batch * C)
                }
            }
        }
        var losses: [Double] = [], mses: [Double] = [], l0s: [Double] = []
        var stepSeconds: [Double] = []
        var start: UInt64 = 0, sparseAtStart = 0
        for step in 0..<(warmupSteps + (encode ? 0 : steps)) {
            load(step)
            if step == warmupSteps {
                start = DispatchTime.now().uptimeNanoseconds
                sparseAtStart = trainer.sparseStepCount
                trainer.measuresPhases = phases
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let l = try trainer.step(rows: x, rowCount: batch)
            stepSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            losses.append(l.total)
            mses.append(l.mse)
            l0s.append(Double(l.activeLatentCount) / Double(batch))
        }
        if encode { return try runEncode(trainer.sae, rows: rows, C: C, batchCount: batchCount) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let saveState {
            try writeState(path: saveState, weights: trainer.sae.weights, adam: trainer.optimizer.state,
                           nextBatch: (firstBatch + warmupSteps + steps) % batchCount, C: C)
        }
        let measured = Array(l0s[warmupSteps...])
        var phaseMs: [String: Double] = [:]
        for (phase, seconds) in trainer.phaseSeconds where phases {
            phaseMs[phase.name] = seconds * 1e3 / Double(max(steps, 1))
        }
        try emit([
            "phase_ms_per_step": phaseMs,
            "impl": "swift", "label": label, "kernels": kernels, "arch": arch, "threads": threads,
            "kernel_threads": kernelThreads ?? threads,
            "openblas_core": String(cString: openblas_get_corename()),
            "warmup_steps": warmupSteps, "steps": steps, "batch": batch, "seconds": seconds,
            "tokens_per_second": Double(steps * batch) / seconds,
            "step_seconds": stepSeconds,
            "sparse_steps_measured": trainer.sparseStepCount - sparseAtStart,
            "l0_measured": measured.reduce(0, +) / Double(measured.count),
            "losses": losses, "mses": mses, "l0s": l0s,
        ])
    }

    /// Dense against sparse single steps at fixed densities, on random rows and the seeded
    /// init: TopK gets k = density · d_sae; the ReLU SAEs get b_enc = −(the (1 − density)
    /// quantile of the batch's pre-activations), so that fraction of pairs is open. Each timed
    /// step keeps that density (a vanishing learning rate, below); `--phases` adds the
    /// mean ms per phase of both modes, and `densities_timed` each timed step's density.
    func runSweep() throws {
        let C = dIn
        var rng = SystemRandomNumberGenerator()
        let x = (0..<(batch * C)).map { _ in Float.random(in: -1...1, using: &rng) }
        let base = try config(dIn: C)
        var pre: [Float] = []
        if base.architecture != .topk {
            // f = ReLU(pre + 1000) = pre + 1000 for every pair, so f − 1000 recovers pre.
            var shifted = try SparseAutoencoder(config: base).weights
            shifted.bEnc = [Float](repeating: 1000, count: dSAE)
            let probe = try SparseAutoencoder(architecture: base.architecture, dIn: C, dSAE: dSAE,
                                              applyBDecToInput: base.applyBDecToInput, weights: shifted)
            pre = probe.encode(x, rowCount: batch).map { $0 - 1000 }.sorted(by: >)
        }
        for density in densities {
            var cfg = base
            // Trained on one batch at the usual rate (λ 0) the density climbs step by step
            // (standard at 0.01: 0.017, 0.029, 0.047, 0.069 over 4 steps), so the later steps
            // would time far denser batches than the row claims. At this rate Adam runs every
            // operation as usual but moves no weight by a representable amount, so every timed
            // step sees the density it is labelled with (`densities_timed`).
            cfg.learningRate = 1e-30
            var weights = try SparseAutoencoder(config: cfg).weights
            if cfg.architecture == .topk {
                cfg.k = max(1, Int((density * Double(dSAE)).rounded()))
            } else {
                let open = max(1, Int(density * Double(pre.count)))
                weights.bEnc = [Float](repeating: -(pre[open - 1] + pre[open]) / 2, count: dSAE)
            }
            var best: [String: Double] = [:]
            var phaseMs: [String: Double] = [:]
            var densities: [String: [Double]] = [:]
            var measured = 0.0
            for mode in [SAEKernelMode.dense, .sparse] {
                let trainer = try SAETrainer(config: cfg, options: SAETrainerOptions(kernels: mode, kernelThreadCount: threads))
                try trainer.replaceWeights(weights)
                let first = try trainer.step(rows: x, rowCount: batch)
                measured = Double(first.activeLatentCount) / Double(batch * dSAE)
                trainer.measuresPhases = phases
                var times: [Double] = []
                for _ in 0..<steps {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let l = try trainer.step(rows: x, rowCount: batch)
                    densities[mode.rawValue, default: []].append(Double(l.activeLatentCount) / Double(batch * dSAE))
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                }
                best[mode.rawValue] = times.min()!
                best[mode.rawValue + "_median"] = times.sorted()[times.count / 2]
                for (phase, seconds) in trainer.phaseSeconds where phases {
                    phaseMs[mode.rawValue + "." + phase.name] = seconds * 1e3 / Double(max(steps, 1))
                }
            }
            try emit(["impl": "swift-sweep", "arch": arch, "d_in": C, "d_sae": dSAE, "batch": batch,
                      "density": density, "density_measured": measured, "k": cfg.k, "threads": threads,
                      "dense_step_seconds_best": best["dense"]!, "sparse_step_seconds_best": best["sparse"]!,
                      "dense_step_seconds_median": best["dense_median"]!,
                      "sparse_step_seconds_median": best["sparse_median"]!, "phase_ms_per_step": phaseMs,
                      "densities_timed": densities])
        }
    }

    /// SAEEncoder throughput on the trained SAE: encode (dense f), encodeSparse (CSR) and
    /// reconstruct with the sparse and the dense decoder.
    func runEncode(_ sae: SparseAutoencoder, rows: [Float], C: Int, batchCount: Int) throws {
        var auto = SAEEncoder(sae: sae, maxRowCount: batch, kernels: .auto)
        var dense = SAEEncoder(sae: sae, maxRowCount: batch, kernels: .dense)
        var out: [Float] = [], starts: [Int32] = [], latents: [Int32] = [], values: [Float] = []
        var x = [Float](repeating: 0, count: batch * C)
        var result: [String: Any] = ["impl": "swift-encode", "label": label, "arch": arch, "threads": threads]
        let cases: [(String, (inout [Float]) -> Void)] = [
            ("encode", { x in auto.encode(x, rowCount: batch, into: &out) }),
            ("encode_sparse", { x in auto.encodeSparse(x, rowCount: batch, rowStarts: &starts, latents: &latents, values: &values) }),
            ("reconstruct_auto", { x in auto.reconstruct(x, rowCount: batch, into: &out) }),
            ("reconstruct_dense", { x in dense.reconstruct(x, rowCount: batch, into: &out) }),
        ]
        for (name, body) in cases {
            var times: [Double] = []
            for step in 0..<max(steps, 3) {
                let s = step % batchCount
                x.withUnsafeMutableBufferPointer { x in
                    rows.withUnsafeBufferPointer { r in x.baseAddress!.update(from: r.baseAddress! + s * batch * C, count: batch * C) }
                }
                let t0 = DispatchTime.now().uptimeNanoseconds
                body(&x)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            result[name + "_rows_per_second_best"] = Double(batch) / times.min()!
            result[name + "_rows_per_second_median"] = Double(batch) / times.sorted()[times.count / 2]
        }
        result["l0"] = Double(latents.count) / Double(batch)
        try emit(result)
    }

    func writeState(path: String, weights w: SAEWeights, adam: AdamState?, nextBatch: Int, C: Int) throws {
        let shapes = ["W_enc": [C, dSAE], "b_enc": [dSAE], "W_dec": [dSAE, C], "b_dec": [C]]
        var tensors: [(name: String, shape: [Int], values: [Float], dtype: TensorDType)] = []
        for (slot, name) in SAEWeights.tensorNames.enumerated() where !w.tensors[slot].isEmpty {
            tensors.append((name, shapes[name]!, w.tensors[slot], .f32))
            if let adam {
                tensors.append(("adam.m." + name, shapes[name]!, adam.firstMoments[slot], .f32))
                tensors.append(("adam.v." + name, shapes[name]!, adam.secondMoments[slot], .f32))
            }
        }
        try SafetensorsWriter.write(path: path, tensors: tensors,
                                    metadata: ["adam_step": "\(adam?.stepCount ?? 0)", "next_batch": "\(nextBatch)"])
    }

    func emit(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: withKernelSet(object), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
