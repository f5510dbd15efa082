import ActStore
import Extract
import FeatureAnalysis
import Foundation
import SAELoading
import StreamTrain

/// What the quickstart reports while it runs; the CLI draws it.
public enum QuickstartEvent: Sendable {
    /// A stage begins: "ingest", "train", "features" or "report" (the last only when it is rebuilt).
    case stage(String)
    /// Ingest progress, as `Ingester.run` reports it.
    case ingest(IngestProgress)
    /// Training progress, as `TrainRun.run` reports it.
    case train(TrainingProgress)
    /// Feature-scan progress in rows, summed over the scan's passes (`rowsTotal` covers them all).
    case scan(rowsDone: Int, rowsTotal: Int)
}

/// Where everything ended up.
public struct QuickstartSummary: Codable, Sendable {
    /// Path of the activation store (`plan.storePath`).
    public var store: String
    /// Path of the training run directory (`plan.runPath`); its sae/ is the exported SAE.
    public var run: String
    /// Path of the feature results (`plan.featuresPath`); always set by `Quickstart.run`.
    public var features: String?
    /// Path of the HTML report (features/index.html); always set by `Quickstart.run`.
    public var report: String?
    /// What ingest added and what the store holds (a rerun adds nothing).
    public var ingest: IngestSummary
    /// Steps, tokens, final metrics and stop reason of the training run.
    public var train: TrainRunSummary
    /// Store rows the SAE trained on: those of the first `trainingDocuments` documents (fewer, by
    /// `QuickstartPlan.split`, when the corpus is short).
    public var trainingRows: Range<Int>
    /// Store rows the feature scan read: those of the remaining documents, to the store's end.
    public var analysisRows: Range<Int>
    /// How the documents were split when the corpus had fewer than planned (nil: as planned).
    public var splitNote: String?
}

extension QuickstartPlan {
    /// Documents to train on and to analyse out of `documentCount`: the plan's counts when the
    /// corpus has them all, else the plan's proportion (4:1 for `full`, the seed's 20,000 :
    /// 5,000), at least one document each; the note says which.
    public func split(documentCount: Int) -> (training: Int, analysis: Int, note: String?) {
        let planned = trainingDocuments + analysisDocuments
        guard documentCount < planned else { return (trainingDocuments, analysisDocuments, nil) }
        let training = min(max(1, Int((Double(documentCount) * Double(trainingDocuments) / Double(planned)).rounded())), documentCount - 1)
        let note = "the corpus has \(documentCount) documents, fewer than the \(planned) planned: split \(trainingDocuments / max(1, analysisDocuments)):1 as planned, \(training) to train on and \(documentCount - training) to analyse"
        return (training, documentCount - training, note)
    }
}

/// The seed pipeline end to end: ingest → train the seed SAE → scan features → report.
/// Every stage resumes: a second run reuses the store, continues or reuses the training
/// run, and rebuilds only what is missing.
public enum Quickstart {
    /// Runs `plan` end to end with `model` and `tokenizer` of any family ingest runs (as
    /// `LanguageModelLoader` loads them), calling `event` at each stage and for progress; `shouldStop` ends
    /// ingest early (then it throws; the same command, run again, continues). Trains the seed SAE (tied,
    /// positions ≥ 1, checkpoints every 500 steps) and skips the scan and report when results for
    /// this SAE and these rows are already there. Throws `FeaturesError.invalidArgument` when
    /// interrupted or the store has fewer than 2 documents, and each stage's own errors.
    public static func run(_ plan: QuickstartPlan, model: any DecoderLanguageModel, tokenizer: any TextTokenizer,
                           shouldStop: @escaping () -> Bool = { false },
                           event: @escaping (QuickstartEvent) -> Void = { _ in }) throws -> QuickstartSummary {
        try FileManager.default.createDirectory(atPath: plan.outputDirectory, withIntermediateDirectories: true)

        event(.stage("ingest"))
        let ingester = try Ingester(model: model, tokenizer: tokenizer, modelName: plan.modelName, config: plan.ingest)
        let options = CorpusOptions(separator: plan.corpusSeparator)
        let ingest = try ingester.run(store: plan.storePath, sources: plan.corpora, open: { path, skip in
            var opened = options
            opened.skipDocuments = skip
            return try CorpusReader(path: path, options: opened)
        }, shouldStop: shouldStop, progress: { event(.ingest($0)) })
        if ingest.interrupted { throw FeaturesError.invalidArgument("interrupted during ingest; run the same command again to continue") }

        let reader = try openStore(at: plan.storePath)
        guard reader.documentCount >= 2 else {
            throw FeaturesError.invalidArgument("the corpus gave \(reader.documentCount) document(s); the quickstart needs at least 2 (one to train on, one to analyse)")
        }
        // The first trainingDocuments documents train the SAE; the rest are for analysis.
        let (trainingDocs, _, splitNote) = plan.split(documentCount: reader.documentCount)
        let split = try reader.document(trainingDocs).firstRow
        let trainingRows = 0..<split
        let analysisRows = split..<reader.rowCount

        event(.stage("train"))
        let width = try reader.spec(plan.hook).width
        var sae = SAEConfig(architecture: .tied, dIn: width)
        sae.expansionFactor = plan.expansion
        sae.epochs = plan.epochs
        let loader = StreamLoaderConfig(column: plan.hook, firstRow: trainingRows.lowerBound, endRow: trainingRows.upperBound,
                                        shuffleBufferRows: 1 << 16, minimumPosition: 1)
        let window = SAETrainerOptions.defaultWindowTokens(rowsPerEpoch: trainingRows.count)
        let trainerOptions = SAETrainerOptions(logIntervalSteps: 50, deadFeatureWindowTokens: window, featureFrequencyWindowTokens: window,
                                         checkpointIntervalSteps: 500)
        let config = TrainRunConfig(store: plan.storePath, loader: loader, sae: sae, trainer: trainerOptions, stream: true)
        let train = try TrainRun.run(directory: URL(fileURLWithPath: plan.runPath), config: config, resume: true) { event(.train($0)) }

        // Maximum-activating examples among the documents the SAE did not train on.
        event(.stage("features"))
        let featuresURL = URL(fileURLWithPath: plan.featuresPath)
        let reportPath = featuresURL.appendingPathComponent("index.html").path
        let source = try SAESource(path: plan.runPath)
        let scanConfig = FeatureScanConfig(column: plan.hook, firstRow: analysisRows.lowerBound, endRow: analysisRows.upperBound,
                                           minimumPosition: loader.minimumPosition)
        if let existing = try? FeatureResults.load(directory: featuresURL), existing.manifest.config == scanConfig,
           existing.manifest.sae == source.identity, FileManager.default.fileExists(atPath: reportPath) {
            // Already scanned with this SAE on these rows, and the report is there.
        } else {
            _ = try FeatureScanJob.run(reader: reader, sae: source, config: scanConfig, modelDirectory: plan.modelDirectory,
                                       out: featuresURL) { p in
                event(.scan(rowsDone: (p.pass - 1) * p.rowsTotal + p.rowsDone, rowsTotal: p.passCount * p.rowsTotal))
            }
            event(.stage("report"))
            let inspector = try FeatureInspector(resultsDirectory: featuresURL, model: plan.modelDirectory, window: 12)
            try FeatureReport.write(inspector: inspector, to: featuresURL) { _, _ in }
        }
        return QuickstartSummary(store: plan.storePath, run: plan.runPath, features: plan.featuresPath, report: reportPath,
                                 ingest: ingest, train: train, trainingRows: trainingRows, analysisRows: analysisRows,
                                 splitNote: splitNote)
    }
}
