import ActStore
import ArgumentParser
import Extract
import FeatureAnalysis
import Pipeline
import SAELoading
import Foundation
import StreamTrain

/// `saestore quickstart`: the whole seed pipeline, resumable, offline-capable.
struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Ingest, train the seed SAE, find every feature's top examples and build the report.",
        discussion: """
            Model: --model, else $SAESTORE_MODEL, else gpt2 from the local Hugging Face cache or the hub; \
            when none can be had (offline), the bundled demo model in demo/. Corpus: --corpus, else the \
            bundled demo corpus (public-domain Shakespeare the demo model never saw). Run it again to \
            reuse what is done; interrupted, it continues where it stopped.
            """)

    @Option(help: "Model directory or hub id.") var model: String?
    @Option(parsing: .upToNextOption, help: "Corpus files (.txt, .jsonl, .jsonl.zst, .jsonl.gz).") var corpus: [String] = []
    @Option(help: "Output directory.") var out = "quickstart"
    @Option(help: "small (minutes), full (the seed's 20,000 + 5,000 documents, 100 epochs) or tiny (seconds, a smoke run).") var budget = "small"
    @Flag(help: "No progress display.") var quiet = false

    func run() throws {
        guard let budget = QuickstartBudget(rawValue: budget) else { throw ValidationError("--budget must be small, full or tiny") }
        let bar = Progress("download", unit: "B", quiet: quiet)
        let locator = HFModelLocator { bar.update(Int($0.bytesDone), of: $0.totalBytes.map { Int($0) }, extra: $0.file) }
        let choice = try QuickstartPlanner.chooseModel(explicit: model, locator: locator)
        bar.finish()
        if let reason = choice.fallbackReason {
            print("No GPT-2 available (\(reason)): running on the bundled demo model (\(choice.files.directory)).")
        }
        let plan = try QuickstartPlanner.plan(model: choice, corpora: corpus, outputDirectory: out, budget: budget)
        // The family config.json's model_type names (GPT-2, Llama; docs/MODELS.md).
        let (languageModel, tokenizer) = try LanguageModelLoader.load(files: choice.files)
        print("model \(plan.modelName), hook \(plan.hook), corpus \(plan.corpora.joined(separator: " "))\(plan.usesDemoCorpus ? " (bundled demo)" : "")")
        print("plan: \(plan.trainingDocuments) documents to train on, \(plan.analysisDocuments) to analyse, \(plan.epochs) epochs → \(out)/")

        if budget == .full {
            let e = try QuickstartPlanner.estimate(plan, model: languageModel, tokenizer: tokenizer)
            let note = e.documentsAvailable.map { ", only \($0) documents in the corpus" } ?? ""
            print("estimate: \(e.ingestTokens) tokens to ingest (\(Int(e.tokensPerDocument)) per document\(note)) ≈ \(Progress.duration(e.ingestSeconds)), "
                  + "training \(plan.epochs) epochs ≈ \(Progress.duration(e.trainSeconds)) (dense steps; sparse kernels make it shorter), "
                  + "total ≈ \(Progress.duration(e.totalSeconds))")
        }
        let interrupted = InterruptFlag()
        let ingestBar = Progress("ingest", unit: "tok", quiet: quiet)
        let trainBar = Progress("train", unit: "tok", quiet: quiet)
        let scanBar = Progress("features", unit: "rows", quiet: quiet)
        var metrics = ""
        let summary = try Quickstart.run(plan, model: languageModel, tokenizer: tokenizer, shouldStop: { interrupted.isSet }) { event in
            switch event {
            case .stage(let name):
                ingestBar.finish(); trainBar.finish(); scanBar.finish()
                if !quiet { FileHandle.standardError.write(Data("\(name)…\n".utf8)) }
            case .ingest(let p):
                ingestBar.update(p.rows, of: nil, extra: "docs \(p.documents)")
            case .train(.stepFinished(_, let tokens, let epoch, _)):
                trainBar.update(tokens, of: nil, extra: "epoch \(epoch + 1)/\(plan.epochs)  \(metrics)")
            case .train(.metrics(let m)):
                metrics = String(format: "L0 %.1f  FVE %.3f", m.l0, m.explainedVariance)
            case .train:
                break
            case .scan(let done, let total):
                scanBar.update(done, of: total)
            }
        }
        ingestBar.finish(); trainBar.finish(); scanBar.finish()
        if let note = summary.splitNote { print("split:    \(note)") }
        print("store:    \(summary.store)  (\(summary.ingest.documentsInStore) documents, \(summary.ingest.rowsInStore) tokens)")
        print("SAE:      \(summary.run)/sae  (SAELens format; \(summary.train.steps) steps", terminator: "")
        if let fve = summary.train.explainedVariance, let l0 = summary.train.l0 {
            print(String(format: ", FVE %.3f, L0 %.1f)", fve, l0))
        } else {
            print(")")
        }
        if let report = summary.report { print("report:   \(report)  (open it in a browser; no network needed)") }
        print("")
        print("next:")
        if let features = summary.features { print("  saestore feature \(features) --id 10") }
        print("  saestore lookup \(summary.store) --row \(summary.analysisRows.lowerBound + 5) --window 12")
        print("  saestore info \(summary.store)")
        print("  tensorboard --logdir \(summary.run)/tb")
    }
}
