import ActStore
import ArgumentParser
import Extract
import Evaluation
import SAELoading
import Sweep
import Foundation
import StreamTrain
import BLASKernels

/// `saestore sweep --store S --hook H --out DIR --l1 1e-3,3e-3,1e-2`.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Train several SAEs from one pass over the store, evaluate them, and plot L0 against fidelity.",
        discussion: """
            One SAE per --l1 value (or per --k value with --arch topk), or one per --member (architectures side by side), every other setting shared. The store is \
            read and decompressed once; each batch feeds every SAE. DIR/<name>/ is a run directory like \
            `saestore train` makes (run.json, config.json, metrics.jsonl, tb/, sae/, evaluation.json; no \
            checkpoints). Then each SAE is evaluated on the held-out rows (--holdout, or the rows outside --rows), and \
            DIR/sweep.json, sweep.md and sweep.svg are written. By default the last 1% of the store is held out (--holdout). With --model, CE loss recovered is measured too.
            """)

    @Option(help: "Store directory.") var store: String
    @Option(help: "Column (hook) to train on.") var hook: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "tied (seed), standard (SAELens), topk or batchtopk (default tied); --member for other architectures or several at once.") var arch: String?
    @Option(help: "A member with its own architecture and knob, repeatable, instead of --arch/--l1/--k: tied:l1=1e-2, topk:k=16, batchtopk:k=16:auxk=0.03125:dead-window=100000, jumprelu:l0=1, gated:l1=3e-2, matryoshka:k=16:widths=64,256 (keys: l1, k, l0, widths, auxk, dead-window, name).")
    var member: [String] = []
    @Option(help: "Comma-separated L1 coefficients, one SAE each (topk: at most one, for all).") var l1: String?
    @Option(help: "Comma-separated k values, one topk SAE each.") var k: String?
    @Option(help: "Latents per input dimension.") var expansion = 8
    @Option(help: "Learning rate.") var lr = 1e-3
    @Option(name: [.customLong("batch-rows"), .customLong("batch")], help: "Rows per step, shared by every SAE (--batch is the same option; in ingest and evaluate a batch is windows).") var batch = 512
    @Option(help: "Passes over the rows.") var epochs = 100
    @Option(help: "Stop each SAE after this many training rows (tokens drawn, over all epochs; SAELens's training_tokens).") var maxTrainingTokens: Int?
    @Option(name: .customLong("max-tokens"), help: .hidden) var maxTokensOldSpelling: Int?
    @Option(help: "Seed for init, chunk order and shuffling.") var seed: UInt64 = 0
    @Flag(help: "Keep decoder rows at unit norm (standard/topk).") var decoderUnitNorm = false
    @Option(help: "Rows to train on: A..B, A.., ..B (default: all but the held-out rows). Evaluation uses the rest.") var rows: String?
    @Option(help: HoldoutArguments.help) var holdout: String?
    @Option(help: "Skip rows at context positions below this (1 skips BOS).") var minPosition = 0
    @Option(help: "Shuffle buffer size in rows.") var shuffleBufferRows = 65536
    @Option(help: "Decode threads.") var workers = 1
    @Option(help: "Metrics every N steps.") var logEvery = 100

    @Flag(help: "Train only; no evaluation.") var noEval = false
    @Option(help: "Rows to evaluate on (default: the rows not trained on).") var evalRows: String?
    @Option(help: "Evaluate on at most this many rows.") var maxEvalRows: Int?
    @Option(help: "Model directory or hub id (GPT-2 or Llama family; docs/MODELS.md), for CE loss recovered and the MLP-neuron baseline.") var model: String?
    @Option(help: "BLAS threads while the SAEs train (each SAE has its own thread).") var trainThreads = 1
    @Option(help: "BLAS threads for the evaluation (default: all cores).") var threads: Int?
    @Flag(help: "Print sweep.json to stdout.") var json = false
    @Flag(help: "No progress display.") var quiet = false

    func run() throws {
        let maxTokens = try RenamedOption.value(maxTrainingTokens, newName: "--max-training-tokens", old: maxTokensOldSpelling, oldName: "--max-tokens")
        guard let architecture = SAEArchitecture(rawValue: arch ?? "tied") else {
            throw ValidationError("--arch must be tied, standard, topk or batchtopk, not \(arch ?? "")")
        }
        if !member.isEmpty, arch != nil {
            throw ValidationError("--member gives every member its architecture; leave out --arch")
        }
        let memberSpecs: [SweepMemberSpec]
        do {
            memberSpecs = try member.map(SweepMemberSpec.parse)
        } catch {
            throw ValidationError("\(error)")
        }
        func list<T>(_ text: String?, _ name: String, _ parse: (String) -> T?) throws -> [T] {
            guard let text else { return [] }
            return try text.split(separator: ",").map { part in
                let trimmed = part.trimmingCharacters(in: .whitespaces)
                guard let value = parse(trimmed) else { throw ValidationError("--\(name): \"\(trimmed)\" is not a number") }
                return value
            }
        }
        if let threads { BLAS.threadCount = threads }
        let reader = try openStore(at: store)
        let (range, heldOut) = try HoldoutArguments.resolve(rows: rows, holdout: noEval && holdout == nil ? "0" : holdout, reader: reader)
        var evaluation: EvaluationConfig?
        if !noEval {
            let evalRange = try evalRows.map { try RowRange.parse($0, rowCount: reader.rowCount) }
            evaluation = EvaluationConfig(sae: "", store: store, firstRow: evalRange?.lowerBound, endRow: evalRange?.upperBound,
                                          maxRowCount: maxEvalRows)
        }
        var config = SweepConfig(
            store: store, hook: hook, out: out, architecture: architecture,
            l1Coefficients: try list(l1, "l1") { Double($0) }, ks: try list(k, "k") { Int($0) }, memberSpecs: memberSpecs,
            expansionFactor: expansion, learningRate: lr, batchSize: batch, epochs: epochs, seed: seed,
            firstRow: range?.lowerBound, endRow: range?.upperBound, maxTokens: maxTokens, minimumPosition: minPosition,
            shuffleBufferRows: shuffleBufferRows, workerCount: workers, logIntervalSteps: logEvery,
            decoderUnitNorm: decoderUnitNorm, blasThreads: trainThreads, evaluation: evaluation)
        config.heldOutRows = heldOut
        try config.validate()
        var languageModel: (any DecoderLanguageModel)?
        var modelName: String?
        if let model {
            guard !noEval else { throw ValidationError("--model is used by the evaluation; drop --no-eval") }
            let (files, name) = try resolveModel(model, quiet: quiet || json)
            languageModel = try LanguageModelLoader.load(files: files).model
            modelName = name
        }
        let rowsPerEpoch = try StoreBatchSource(reader: reader, config: StreamLoaderConfig(
            column: hook, firstRow: range?.lowerBound, endRow: range?.upperBound, minimumPosition: minPosition)).rowsPerEpoch
        let totalTokens = min(maxTokens ?? Int.max, epochs * rowsPerEpoch)
        let trainBar = Progress("sweep", unit: "tok", quiet: quiet || json)
        let evalBar = Progress("evaluate", unit: "rows", quiet: quiet || json)
        var latest: [String: String] = [:]
        let result = try SAESweep.run(config, model: languageModel, modelName: modelName) { event in
            switch event {
            case let .training(_, .stepFinished(_, tokens, epoch, _)):
                // Members step on the same batches, so any member's count is the sweep's.
                trainBar.update(tokens, of: totalTokens, extra: "epoch \(epoch)  " + latest.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "  "))
            case let .training(member, .metrics(m)):
                latest[member] = String(format: "L0 %.1f FVE %.3f", m.l0, m.explainedVariance)
            case let .trained(member, tokens, seconds):
                if !quiet && !json {
                    trainBar.finish()
                    FileHandle.standardError.write(Data("\(member): trained on \(tokens) tokens in \(String(format: "%.1f", seconds)) s\n".utf8))
                }
            case let .evaluating(member, .rowsEncoded(done, total)):
                evalBar.update(done, of: total, extra: member)
            case let .evaluating(member, .windowsRun(done, total)):
                evalBar.update(done, of: total, extra: "\(member) model windows")
            default:
                break
            }
        }
        trainBar.finish()
        evalBar.finish()
        if json {
            print(String(decoding: try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(SweepResult.jsonFileName)), as: UTF8.self))
            return
        }
        print(result.markdown())
        print("wrote \(out)/\(SweepResult.jsonFileName), \(SweepResult.markdownFileName), \(SweepResult.plotFileName)")
    }
}
