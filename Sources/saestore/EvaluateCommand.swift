import ActStore
import ArgumentParser
import Extract
import Evaluation
import SAELoading
import Foundation
import BLASKernels

/// `saestore evaluate --store S --sae RUN|SAE_DIR [--model M]`.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure an SAE on held-out rows: reconstruction, CE loss recovered, monosemanticity.",
        discussion: """
            Rows default to the run's held-out rows (`train --holdout`, recorded in run.json), else those it did not train on; a run that trained on every row is refused without --rows; a SAELens directory without a run uses all rows. Reconstruction: MSE per \
            element, fraction of variance explained, L0, dead and dense features. With --model: next-token loss \
            clean, with the measured rows replaced by the SAE's reconstruction, by zero and by their mean (the same rows \
            in all three), ΔCE = SAE − clean, CE loss recovered against each ablation, and the KL divergence of the \
            next-token distribution with the SAE from the clean one. Monosemanticity of SAE features against MLP neurons (with --model) and \
            residual dimensions. Writes evaluation.json into the run (or --out). docs/EVALUATION.md defines every number.
            """)

    @Option(help: "Store directory (default: the run's store from run.json).") var store: String?
    @Option(help: "Run directory (from `saestore train`) or SAELens SAE directory.") var sae: String
    @Option(help: "Column (hook) to evaluate (default: the run's or cfg.json's hook).") var hook: String?
    @Option(help: "Rows to evaluate: A..B, A.., ..B (default: the rows the run did not train on, else all).") var rows: String?
    @Option(help: "Use at most this many rows from the start of the range.") var maxRows: Int?
    @Option(help: "Model directory or hub id (GPT-2 or Llama family; docs/MODELS.md), for CE loss recovered and the MLP-neuron baseline.") var model: String?
    @Option(help: "Top examples per unit (feature, neuron, dimension) over which the same-token share is measured (default: 20).") var sameTokenExamples: Int?
    @Option(name: .customLong("top-k"), help: .hidden) var topKOldSpelling: Int?
    @Option(help: "A feature is dense when it fires on more than this fraction of rows.") var denseThreshold = 0.1
    @Option(help: "Leave out rows below this context position (default: the run's --min-position, else 0).") var minPosition: Int?
    @Flag(help: "Also measure special-token rows: <|endoftext|>, or a tokenizer.json model's BOS (left out by default, as SAELens' evals do).") var includeSpecialTokens = false
    @Option(help: "Residual dimensions as units: positive (max(x, 0), as a top-k of raw values picks) or absolute (|x|).") var residual = "positive"
    @Flag(help: "Skip the MLP-neuron and residual-dimension baselines.") var noBaselines = false
    @Option(name: [.customLong("batch-windows"), .customLong("batch")], help: "Windows per forward pass (--batch is the same option; in train and sweep a batch is rows).") var batch = 8
    @Option(help: "BLAS threads (default: all cores).") var threads: Int?
    @Option(help: "Directory for evaluation.json (default: the run directory, else the SAE directory).") var out: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No progress display.") var quiet = false

    func run() throws {
        guard let residualActivation = ResidualActivation(rawValue: residual) else {
            throw ValidationError("--residual must be absolute or positive, not \(residual)")
        }
        if let threads { BLAS.threadCount = threads }
        var range: Range<Int>?
        if let rows {
            let storePath = try store ?? SAESource(path: sae).runConfig?.store
            guard let storePath else { throw ValidationError("--rows needs --store (the SAE has no run.json naming one)") }
            range = try RowRange.parse(rows, rowCount: openStore(at: storePath).rowCount)
        }
        let topK = try RenamedOption.value(sameTokenExamples, newName: "--same-token-examples", old: topKOldSpelling, oldName: "--top-k") ?? 20
        let config = EvaluationConfig(
            sae: sae, store: store, hook: hook, firstRow: range?.lowerBound, endRow: range?.upperBound,
            maxRowCount: maxRows, topK: topK, denseThreshold: denseThreshold,
            excludeSpecialTokens: !includeSpecialTokens, minimumPosition: minPosition,
            residualActivation: residualActivation, baselines: !noBaselines, windowsPerBatch: batch)
        var languageModel: (any DecoderLanguageModel)?
        var modelName: String?
        if let model {
            let (files, name) = try resolveModel(model, quiet: quiet || json)
            // The family config.json's model_type names (GPT-2, Llama; docs/MODELS.md).
            languageModel = try LanguageModelLoader.load(files: files).model
            modelName = name
        }
        let encodeBar = Progress("encode", unit: "rows", quiet: quiet || json)
        let windowBar = Progress("model", unit: "windows", quiet: quiet || json)
        let result = try SAEEvaluation.run(config, model: languageModel, modelName: modelName) { event in
            switch event {
            case let .rowsEncoded(done, total): encodeBar.update(done, of: total)
            case let .windowsRun(done, total): encodeBar.finish(); windowBar.update(done, of: total)
            }
        }
        encodeBar.finish()
        windowBar.finish()
        let directory = out.map { URL(fileURLWithPath: $0) }
            ?? result.runDirectory.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: result.saeDirectory)
        let written = try result.write(to: directory)
        if json {
            print(String(decoding: try result.jsonData(), as: UTF8.self))
        } else {
            print(result.table())
            print("\nwrote \(written.path)")
        }
    }
}
