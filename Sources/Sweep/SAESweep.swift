import ActStore
import Evaluation
import Extract
import Foundation
import SAELoading
import StreamTrain
import BLASKernels

/// `saestore sweep`: several SAEs trained from one pass over the store, then evaluated.
///
/// One `StoreBatchSource` reads and decompresses every batch once; a `SweepBroadcast` hands the
/// same batch to each member's `SAETrainer.train`, which runs on its own thread. A member
/// therefore computes exactly what `saestore train` with the same settings computes (same
/// batches in the same order, same init): the tests hold them bitwise equal.
public enum SAESweep {
    /// Trains every member of `config` from one pass over its store, exports each SAE into
    /// `out/NAME/sae`, evaluates each on held-out rows when `config.evaluation` is set (with
    /// `model`, any family `SAEEvaluation` splices (GPT-2, Llama), for the downstream CE and KL
    /// measures; the baselines only once), and writes
    /// sweep.json, sweep.md and sweep.svg into `out`. A member that fails (e.g. diverges) keeps a
    /// `failure` entry while the others train on; the sweep throws only when all fail.
    /// Throws `EvaluationError` before training when the hook is not an activation column of the
    /// store, an evaluation would have no held-out rows, or a member's directory already holds a run.
    public static func run(_ config: SweepConfig, model: (any DecoderLanguageModel)? = nil, modelName: String? = nil,
                           progress: @escaping (SweepProgress) -> Void = { _ in }) throws -> SweepResult {
        let reader = try openStore(at: config.store)
        guard let spec = reader.columns.first(where: { $0.name == config.hook }) else {
            throw EvaluationError.hookNotInStore(store: config.store, hook: config.hook,
                                                 available: reader.manifest.activationColumns.map(\.name))
        }
        guard spec.codec.isFloat else { throw EvaluationError.notActivations(store: config.store, column: config.hook) }
        let members = try config.members(dIn: spec.width)
        if let evaluation = config.evaluation, evaluation.firstRow == nil,
           (config.firstRow ?? 0) <= 0, (config.endRow ?? reader.rowCount) >= reader.rowCount {
            // Found out before training, not after: evaluation needs rows the SAEs did not see.
            throw EvaluationError.invalidArgument("the sweep would train on every row of \(config.store), leaving none to evaluate on; hold rows out with --rows ..B, or give --eval-rows, or --no-eval")
        }
        let out = URL(fileURLWithPath: config.out)
        let runs = try members.map { member -> RunDirectory in
            let run = try RunDirectory(url: out.appendingPathComponent(member.name))
            if FileManager.default.fileExists(atPath: TrainRun.runConfigURL(run.url).path) {
                throw EvaluationError.invalidArgument("\(run.url.path) already holds a run; sweep into a new --out")
            }
            return run
        }
        for (member, run) in zip(members, runs) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(member.run).write(to: TrainRun.runConfigURL(run.url), options: .atomic)
            try run.saveConfig(member.run.sae, options: member.run.trainer)
        }

        let start = Date()
        let (summaries, batchCount) = try train(members: members, runs: runs, reader: reader, config: config, progress: progress)
        let trainingSeconds = Date().timeIntervalSince(start)

        var results: [SweepMemberResult] = []
        var baselinesMeasured = false
        for (index, (member, run)) in zip(members, runs).enumerated() {
            var entry = SweepMemberResult(
                name: member.name, runDirectory: run.url.path, architecture: member.run.sae.architecture,
                l1Coefficient: member.run.sae.l1Coefficient,
                k: member.run.sae.architecture.usesK ? member.run.sae.k : nil)
            let summary: TrainingSummary
            switch summaries[index] {
            case let .success(trained): summary = trained
            case let .failure(error):
                entry.failure = "\(error)"
                results.append(entry)
                continue
            }
            entry.stepCount = summary.stepCount
            entry.tokenCount = summary.tokenCount
            entry.trainingL0 = summary.lastMetrics?.l0
            entry.trainingExplainedVariance = summary.lastMetrics?.explainedVariance
            if var evaluationConfig = config.evaluation {
                evaluationConfig.sae = run.url.path
                evaluationConfig.store = config.store
                // The baselines do not depend on the SAE: measure them once.
                evaluationConfig.baselines = evaluationConfig.baselines && !baselinesMeasured
                baselinesMeasured = true
                let previous = results.lazy.compactMap(\.evaluation).first
                let result = try SAEEvaluation.run(evaluationConfig, model: model, modelName: modelName,
                                                   reusingModelLossesOf: previous) { event in
                    progress(.evaluating(member: member.name, event: event))
                }
                try result.write(to: run.url)
                entry.evaluation = result
            }
            results.append(entry)
        }
        let result = SweepResult(config: config, members: results, batchCount: batchCount, trainingSeconds: trainingSeconds)
        try result.write(to: out)
        return result
    }

    /// Trains every member on its own thread from one shared stream; exports each SAE. A member
    /// that fails (e.g. diverges) leaves its siblings running; the sweep fails only if all do.
    static func train(members: [SweepConfig.Member], runs: [RunDirectory], reader: any StoreReading, config: SweepConfig,
                      progress: @escaping (SweepProgress) -> Void) throws -> ([Result<TrainingSummary, Error>], Int) {
        let source = try StoreBatchSource(reader: reader, config: members[0].run.loader)
        let broadcast = SweepBroadcast(source: source, consumerCount: members.count, batchesAhead: config.batchesAhead)
        let metadata = SAELensMetadata(modelName: reader.manifest.model, hookName: config.hook,
                                       hookLayer: SAELensMetadata.layer(ofHook: config.hook),
                                       contextSize: reader.manifest.contextSize, prependBos: reader.manifest.prependBOS,
                                       datasetPath: config.store)
        // Members run in parallel, one thread each; OpenBLAS's own threads on top of them fight
        // over the cores (4 SAEs on 2 cores: 27.5 s with OpenBLAS's default, 10.4 s with 1
        // thread, against 21.6 s for four separate runs).
        let savedThreads = BLAS.threadCount
        BLAS.threadCount = config.blasThreads
        defer { BLAS.threadCount = savedThreads }
        let outcomes = SweepOutcomes(memberCount: members.count)
        let group = DispatchGroup()
        for (index, member) in members.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    let started = Date()
                    let trainer = try SAETrainer(config: member.run.sae, options: member.run.trainer)
                    var tap = SweepBatchTap(broadcast: broadcast, consumer: index)
                    let summary: TrainingSummary
                    do {
                        defer { broadcast.detach(consumer: index) }
                        summary = try trainer.train(source: &tap, loggers: try runs[index].makeLoggers()) { event in
                            outcomes.locked { progress(.training(member: member.name, event: event)) }
                        }
                    }
                    try SAELensExporter.export(trainer, metadata: metadata, to: runs[index].saeDirectory)
                    outcomes.record(.success(summary), member: index)
                    outcomes.locked {
                        progress(.trained(member: member.name, tokenCount: summary.tokenCount,
                                          seconds: Date().timeIntervalSince(started)))
                    }
                } catch {
                    broadcast.detach(consumer: index)
                    outcomes.record(.failure(error), member: index)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        let results = outcomes.all
        if results.allSatisfy({ if case .failure = $0 { return true } else { return false } }), case let .failure(first) = results[0] {
            throw first
        }
        return (results, broadcast.producedBatchCount)
    }
}
