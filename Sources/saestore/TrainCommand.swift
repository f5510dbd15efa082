import ActStore
import ArgumentParser
import Foundation
import StreamTrain

/// `saestore train --stream --store S --hook H --out RUN`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a sparse autoencoder on a store column (the seed's SAE by default).",
        discussion: """
            Defaults are the seed's: tied SAE (decoder = encoderᵀ, own bias), 8x latents, Adam lr 1e-3, \
            L1 1e-3, batch 512, 100 epochs. Loss = mean over rows and elements of (x̂−x)² + λ · mean over \
            rows of Σ|f| (docs/SAE.md). RUN gets run.json, config.json, metrics.jsonl, tb/ (TensorBoard), \
            checkpoints/ and sae/ (SAELens format); --wandb also logs to Weights & Biases (docs/LOGGING.md). Ctrl-C, then the same command with --resume, continues \
            from the last checkpoint.
            """)

    @Flag(inversion: .prefixedNo, help: "Stream from the store (default); --no-stream reads the rows into memory first.")
    var stream = true
    @Option(help: "Store directory.") var store: String
    @Option(help: "Column (hook) to train on.") var hook: String
    @Option(help: "Run directory.") var out: String

    @Option(help: "tied (seed), standard (SAELens), topk, batchtopk, jumprelu, gated, matryoshka, or transcoder / skip_transcoder (with --target-hook; docs/SAE.md).") var arch = "tied"
    @Option(help: "Transcoders: the column to predict from --hook's rows (e.g. blocks.2.hook_mlp_out with --hook blocks.2.ln2.hook_normalized).") var targetHook: String?
    @Flag(help: "Transcoders: add a skip connection x·W_skipᵀ (the same as --arch skip_transcoder).") var skip = false
    @Option(help: "Transcoders: the latent activation, relu (with L1, SAELens' standard penalty) or topk (with --k).") var transcoderActivation = "relu"
    @Option(help: "Latents per input dimension.") var expansion = 8
    @Option(help: "Active latents per row for topk (per row on average for batchtopk and matryoshka).") var k = 32
    @Option(help: "Learning rate.") var lr = 1e-3
    @Option(help: "L1 coefficient λ (default 1e-3; 1 for gated, on its gate path, as SAELens; 0 for topk, batchtopk, matryoshka and jumprelu).") var l1: Double?
    @OptionGroup var architectureArguments: ArchitectureArguments
    @Option(name: [.customLong("batch-rows"), .customLong("batch")], help: "Rows per step (--batch is the same option; in ingest and evaluate a batch is windows).") var batch = 512
    @Option(help: "Passes over the rows.") var epochs = 100
    @Option(help: "Stop after this many training rows (tokens drawn, over all epochs; SAELens's training_tokens).") var maxTrainingTokens: Int?
    @Option(name: .customLong("max-tokens"), help: .hidden) var maxTokensOldSpelling: Int?
    @Option(help: "Stop after this many steps.") var maxSteps: Int?
    @Option(help: "Seed for init, chunk order and shuffling.") var seed: UInt64 = 0
    @Option(help: "none, or expected_average_only_in (scale rows so E‖x‖ = √d_in).") var normalize = "none"
    @Flag(help: "Keep decoder rows at unit norm (untied SAEs).") var decoderUnitNorm = false
    @Option(help: "Kernels after the encoder product: auto (sparse when ≤ 10% of (row, latent) pairs are active), dense or sparse. Same results to Float rounding. gated always runs dense.")
    var kernels = "auto"
    @Option(help: "Threads for the SAE's own kernels and Adam (default: one per core; under mpirun, this machine's cores / its ranks, which also sets OpenBLAS's unless OPENBLAS_NUM_THREADS is set).") var kernelThreads: Int?

    @Option(help: "Rows to train on: A..B, A.., ..B (default: all but the held-out rows).") var rows: String?
    @Option(help: HoldoutArguments.help) var holdout: String?
    @Option(help: "Skip rows at context positions below this (1 skips BOS).") var minPosition = 0
    @Option(help: "Shuffle buffer size in rows.") var shuffleBufferRows = 65536
    @Option(help: "Shuffle buffer size in MiB (overrides --shuffle-buffer-rows).") var shuffleBufferMib: Double?
    @Option(help: "Decode threads.") var workers = 1
    @Option(help: "Metrics every N steps.") var logEvery = 100
    @Option(help: "A latent is dead when it fired on none of the last N training rows (default: one epoch, at most 1M).") var deadWindowTokens: Int?
    @Option(help: "Checkpoint every N steps (0: only at the end).") var checkpointEvery = 1000
    @Flag(help: "Continue the run in --out from its last checkpoint.") var resume = false
    @Option(help: "Data-parallel: split every epoch into this many streams (default: the rank count under mpirun, else off; a resumed run keeps its own). Results depend on the stream count, not on the rank count (docs/MPI.md).")
    var streams: Int?
    @Option(help: "Data-parallel: compare a checksum of every rank's weights with rank 0's every N steps (0: only at the end).")
    var checkReplicasEvery = 0
    @OptionGroup var wandbOptions: WandbArguments
    @Flag(help: "No progress display.") var quiet = false
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        let maxTokens = try RenamedOption.value(maxTrainingTokens, newName: "--max-training-tokens", old: maxTokensOldSpelling, oldName: "--max-tokens")
        // A transcoder is an SAE of the chosen activation trained on a second column's rows.
        let isTranscoder = arch == "transcoder" || arch == "skip_transcoder"
        let architecture: SAEArchitecture
        if isTranscoder {
            guard let activation = ["relu": SAEArchitecture.standard, "topk": .topk][transcoderActivation] else {
                throw ValidationError("--transcoder-activation must be relu or topk, not \(transcoderActivation)")
            }
            guard targetHook != nil else {
                throw ValidationError("--arch \(arch) needs --target-hook (the column to predict, e.g. blocks.2.hook_mlp_out)")
            }
            architecture = activation
        } else {
            guard let parsed = SAEArchitecture(rawValue: arch) else {
                throw ValidationError("--arch must be tied, standard, topk, batchtopk, jumprelu, gated, matryoshka, transcoder or skip_transcoder, not \(arch)")
            }
            guard targetHook == nil, !skip else {
                throw ValidationError("--target-hook and --skip are for --arch transcoder or skip_transcoder")
            }
            architecture = parsed
        }
        guard let kernelMode = SAEKernelMode(rawValue: kernels) else {
            throw ValidationError("--kernels must be auto, dense or sparse, not \(kernels)")
        }
        guard let normalization = ActivationNormalization(rawValue: normalize) else {
            throw ValidationError("--normalize must be none or expected_average_only_in, not \(normalize)")
        }
        let reader = try openStore(at: store)
        let spec = try reader.spec(hook)
        guard spec.codec.isFloat else { throw ValidationError("\(hook) is a metadata column, not activations") }
        let saved = resume ? try? TrainRun.loadConfig(run: URL(fileURLWithPath: out)) : nil
        let (range, heldOut) = TrainRunConfig.rows(given: try HoldoutArguments.resolve(rows: rows, holdout: holdout, reader: reader),
                                                    rowsGiven: rows != nil || holdout != nil, saved: saved, storeRowCount: reader.rowCount)

        var sae = SAEConfig(architecture: architecture, dIn: spec.width)
        sae.expansionFactor = expansion
        sae.k = architecture.usesK ? k : 0
        sae.l1Coefficient = l1 ?? architecture.defaultL1Coefficient
        sae.learningRate = lr
        sae.batchSize = batch
        sae.epochs = epochs
        sae.seed = seed
        sae.normalizeActivations = normalization
        sae.decoderUnitNorm = decoderUnitNorm
        if isTranscoder, let targetHook {
            sae.transcoder = TranscoderOptions(targetColumn: targetHook, skipConnection: skip || arch == "skip_transcoder")
            // SAELens' Transcoder never subtracts b_dec (it lives in the output space).
            sae.applyBDecToInput = false
        }
        // Counted once per run: a resume takes the saved count (with --min-position the count
        // reads the whole pos column, which would make resuming cost O(store)).
        let selection = StreamLoaderConfig(column: hook, firstRow: range?.lowerBound, endRow: range?.upperBound,
                                           minimumPosition: minPosition, shuffle: false)
        let rowsPerEpoch = try saved?.knownRowsPerEpoch(for: selection) ?? StoreBatchSource(reader: reader, config: selection).rowsPerEpoch
        let stepsPerEpoch = (rowsPerEpoch + batch - 1) / batch
        let totalSteps = min(epochs * stepsPerEpoch, maxSteps ?? Int.max, maxTokens.map { ($0 + batch - 1) / batch } ?? Int.max)
        try architectureArguments.apply(to: &sae, totalSteps: totalSteps)
        let window = SAETrainerOptions.windowTokens(explicit: deadWindowTokens, rowsPerEpoch: rowsPerEpoch)
        // Under mpirun every rank runs this command; rank 0 alone writes and prints. A plain run
        // never loads libmpi.
        let job = try MPIJob.start()
        job.applyThreadShare(explicitBLAS: nil)
        let options = SAETrainerOptions(logIntervalSteps: logEvery, deadFeatureWindowTokens: window, featureFrequencyWindowTokens: window,
                                        checkpointIntervalSteps: checkpointEvery, maxSteps: maxSteps, maxTokens: maxTokens,
                                        kernels: kernelMode, kernelThreadCount: kernelThreads)
        let bufferRows = shuffleBufferMib.map { max(1, Int($0 * 1_048_576) / (spec.width * 4 * (isTranscoder ? 2 : 1))) } ?? shuffleBufferRows
        let loader = StreamLoaderConfig(column: hook, firstRow: range?.lowerBound, endRow: range?.upperBound,
                                        shuffleBufferRows: bufferRows, workerCount: workers, seed: seed,
                                        minimumPosition: minPosition, targetColumn: sae.transcoder?.targetColumn)
        let streamCount = TrainRunConfig.streamCount(explicit: streams, saved: saved, rankCount: job.collective.rankCount)
        let wandbID = wandbRunID(resuming: saved)
        let config = TrainRunConfig(store: store, loader: loader, sae: sae, trainer: options, stream: stream, streamCount: streamCount,
                                    heldOutRows: heldOut, wandbRunID: wandbID, rowsPerEpoch: rowsPerEpoch)
        let wandbChild = try startWandb(runID: wandbID, isRoot: job.collective.isRoot)

        let totalTokens = min(maxTokens ?? Int.max, epochs * rowsPerEpoch, maxSteps.map { $0 * batch } ?? Int.max)
        let bar = Progress("train", unit: "tok", quiet: quiet || json || !job.collective.isRoot)
        var latest = ""
        let summary: TrainRunSummary
        do {
            summary = try TrainRun.run(directory: URL(fileURLWithPath: out), config: config, resume: resume,
                                       collective: job.collective, replicaCheckIntervalSteps: checkReplicasEvery) { event in
                switch event {
                case let .stepFinished(_, tokens, epoch, loss):
                    bar.update(tokens, of: totalTokens, extra: "epoch \(epoch)  loss \(String(format: "%.4g", loss))  \(latest)")
                case let .metrics(m):
                    latest = String(format: "L0 %.1f  FVE %.3f  dead %.1f%%", m.l0, m.explainedVariance, 100 * m.deadFeatureFraction)
                    wandbChild?.send(m)
                default:
                    break
                }
            }
        } catch {
            bar.finish()
            try? wandbChild?.finish(completed: false)
            throw error
        }
        bar.finish()
        job.finish()
        // The export exists now: the child uploads it as an artifact and finishes the W&B run.
        var wandbFailure: Error?
        do { try wandbChild?.finish(completed: true) } catch { wandbFailure = error }
        guard job.collective.isRoot else { return }
        if json {
            try printJSON(summary)
            if let wandbFailure { throw wandbFailure }
            return
        }
        if let step = summary.resumedFromStep { print("resumed from step \(step)") }
        if job.collective.rankCount > 1 { print("data-parallel: \(job.collective.rankCount) ranks, \(streamCount ?? 0) streams") }
        if let t = summary.dataParallel, t.stepCount > 0 {
            let ms = { (seconds: Double) in String(format: "%.2f", 1000 * seconds / Double(t.stepCount)) }
            print("rank 0 per step (ms): load \(ms(t.loadSeconds))  gradients \(ms(t.gradientSeconds))  pack \(ms(t.packSeconds))  allreduce \(ms(t.allreduceSeconds)) (\(t.reducedFloatCount) floats)  update \(ms(t.updateSeconds))")
        }
        print("trained \(summary.steps) steps, \(summary.tokens) tokens, \(summary.epochs) epochs in \(String(format: "%.1f", summary.seconds)) s (\(Int(summary.tokensPerSecond)) tokens/s)")
        if let mse = summary.mse, let l0 = summary.l0, let fve = summary.explainedVariance, let dead = summary.deadFeatureFraction {
            print(String(format: "last window: MSE %.5g  L0 %.1f  FVE %.4f  dead %.2f%%", mse, l0, fve, 100 * dead))
        }
        if let heldOut { print("held out for evaluate/sweep: rows \(heldOut.lowerBound)..\(heldOut.upperBound) (\(heldOut.count) rows; --holdout)") }
        if sae.transcoder != nil, architecture != .standard {
            print("SAELens export: none (SAELens has no TopK transcoder; the weights are in \(out)/checkpoints)")
        } else {
            print("SAELens export: \(summary.exportDirectory)")
        }
        print("metrics: \(out)/metrics.jsonl   TensorBoard: tensorboard --logdir \(out)/tb")
        if let wandbID, wandbChild != nil { print("W&B: run \(wandbID) (project \(wandbOptions.wandbProject))") }
        if let wandbFailure { throw wandbFailure }
    }
}
