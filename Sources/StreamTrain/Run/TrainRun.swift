import ActStore
import Foundation

/// A training run from a store into a run directory: the loader, the trainer, its loggers
/// and checkpoints, and the SAELens export at the end.
///
///   RUN/run.json      TrainRunConfig (what --resume checks against)
///   RUN/config.json   SAEConfig + trainer options (RunDirectory)
///   RUN/metrics.jsonl, RUN/tb/, RUN/checkpoints/step-N/, RUN/sae/
public enum TrainRun {
    /// RUN/run.json.
    public static func runConfigURL(_ run: URL) -> URL { run.appendingPathComponent("run.json") }

    /// The `TrainRunConfig` saved in RUN/run.json; throws if it is absent or does not decode.
    public static func loadConfig(run: URL) throws -> TrainRunConfig {
        try JSONDecoder().decode(TrainRunConfig.self, from: Data(contentsOf: runConfigURL(run)))
    }

    private static func writeConfig(_ config: TrainRunConfig, run: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: runConfigURL(run), options: .atomic)
    }

    /// Trains. With `resume`, continues from the run's latest checkpoint, which needs the
    /// same settings; without it, a run directory that already has checkpoints is refused.
    /// With several ranks in `collective` (every rank calls this with the same arguments), each
    /// reads its share of `config.streamCount` streams and only rank 0 writes into `directory`;
    /// `replicaCheckIntervalSteps` > 0 compares the ranks' weights that often (docs/MPI.md).
    public static func run(directory: URL, config: TrainRunConfig, resume: Bool,
                           collective: Collective = SingleProcessCollective(), replicaCheckIntervalSteps: Int = 0,
                           progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainRunSummary {
        try config.validate()
        if collective.rankCount > 1, config.streamCount == nil {
            throw DistributedError.badPartition(detail: "\(collective.rankCount) ranks need a stream count (--streams)")
        }
        let root = collective.isRoot
        let reader = try openStore(at: config.store)
        let spec = try reader.spec(config.loader.column)
        guard spec.width == config.sae.dIn else {
            throw TrainingError.widthMismatch(sourceWidth: spec.width, saeWidth: config.sae.dIn)
        }
        let run = try RunDirectory(url: directory)
        let checkpoints = run.checkpointStore(keptCount: config.trainer.keptCheckpointCount)
        let existing = (try? checkpoints.steps()) ?? []
        var resumedFrom: Int?
        let trainer: SAETrainer
        if resume, !existing.isEmpty {
            let saved = try loadConfig(run: directory)
            guard saved.sameTraining(as: config) else {
                throw StoreError.invalidArgument("\(directory.path) was started with other settings (see its run.json); resume with the same options, or train into a new --out")
            }
            if root, saved.wandbRunID != config.wandbRunID, let id = config.wandbRunID {
                // A run that first logs to W&B on a resume keeps that run id from now on.
                var updated = saved
                updated.wandbRunID = id
                try writeConfig(updated, run: directory)
            }
            let checkpoint = try checkpoints.loadLatest()!
            trainer = try SAETrainer(resumingFrom: checkpoint, options: config.trainer)
            resumedFrom = checkpoint.step
        } else {
            if !existing.isEmpty {
                throw StoreError.invalidArgument("\(directory.path) already holds a run (checkpoints up to step \(existing.max()!)); pass --resume to continue it, or choose another --out")
            }
            trainer = try SAETrainer(config: config.sae, options: config.trainer)
            if root {
                try writeConfig(config, run: directory)
                try run.saveConfig(config.sae, options: config.trainer)
            }
        }
        // A run killed before its first checkpoint starts again from step 0, but its metrics.jsonl
        // and event files already hold the steps it logged: drop (and hide) those as a resume does,
        // or they would appear twice.
        let restartStep = resumedFrom ?? (FileManager.default.fileExists(atPath: run.metricsURL.path) ? 0 : nil)
        let loggers = root ? try run.makeLoggers(resumingFromStep: restartStep) : []
        let tokensAtStart = trainer.state.tokenCount
        let start = Date()
        let summary: TrainingSummary
        if let streamCount = config.streamCount {
            let source = try RankBatchSource(reader: reader, config: config.loader, streamCount: streamCount,
                                             rank: collective.rank, rankCount: collective.rankCount, rowsPerEpoch: config.rowsPerEpoch)
            summary = try trainer.train(rankSource: source, collective: collective, loggers: loggers,
                                        checkpoints: root ? checkpoints : nil,
                                        replicaCheckIntervalSteps: replicaCheckIntervalSteps, progress: progress)
        } else if config.stream {
            var source = try StoreBatchSource(reader: reader, config: config.loader, rowsPerEpoch: config.rowsPerEpoch)
            summary = try trainer.train(source: &source, loggers: loggers, checkpoints: checkpoints, progress: progress)
        } else {
            var source = try InMemoryStoreSource(reader: reader, config: config.loader)
            summary = try trainer.train(source: &source, loggers: loggers, checkpoints: checkpoints, progress: progress)
        }
        let seconds = Date().timeIntervalSince(start)
        let layer = SAELensMetadata.layer(ofHook: config.loader.column)
        let metadata = SAELensMetadata(modelName: reader.manifest.model, hookName: config.loader.column, hookLayer: layer,
                                       contextSize: reader.manifest.contextSize, prependBos: reader.manifest.prependBOS,
                                       datasetPath: config.store)
        // SAELens has no TopK transcoder: such a run keeps its weights in checkpoints/ only.
        let exportable = config.sae.transcoder == nil || config.sae.architecture == .standard
        if root, exportable { try SAELensExporter.export(trainer, metadata: metadata, to: run.saeDirectory) }
        let tokens = summary.tokenCount - tokensAtStart
        return TrainRunSummary(steps: summary.stepCount, tokens: summary.tokenCount, epochs: summary.epochsCompleted, seconds: seconds,
                               tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0, resumedFromStep: resumedFrom,
                               stopReason: "\(summary.stopReason)", mse: summary.lastMetrics?.mse, l0: summary.lastMetrics?.l0,
                               explainedVariance: summary.lastMetrics?.explainedVariance,
                               deadFeatureFraction: summary.lastMetrics?.deadFeatureFraction, exportDirectory: run.saeDirectory.path,
                               dataParallel: config.streamCount == nil ? nil : trainer.dataParallelTimings)
    }
}
