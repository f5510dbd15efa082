import ActStore
import ArgumentParser
import FeatureAnalysis
import SAELoading
import Foundation
import StreamTrain

/// `saestore features --store S --sae RUN|SAE_DIR --out DIR`: the MAE scan and its report.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Scan a store through an SAE: each feature's top examples, quantile samples, frequency, histogram; HTML report.",
        discussion: """
            Pass 1 keeps each feature's exact top-k rows (ties: larger activation, then smaller row), firing \
            count, mean and a log-binned histogram; pass 2 (skipped with --quantiles 0) samples rows uniformly \
            from each bucket [i, i+1) × max / Q. DIR gets results.json + results.safetensors (read by \
            `saestore feature DIR --id F`) and, unless --no-report, index.html with a page per live feature \
            (open it from disk; no network needed). Every example's window is stored too \
            (results.examples, --example-window tokens a side), so showing a feature later reads it instead of \
            recomputing it. docs/FEATURES.md has the details.
            """)

    @Option(help: "Store directory (default: the store of the training run given to --sae).") var store: String?
    @Option(help: "A `saestore train` run directory, or a SAELens SAE directory (cfg.json, sae_weights.safetensors).") var sae: String
    @Option(help: "Output directory for results and report.") var out: String
    @Option(help: "Column to encode (default: the run's, or cfg.json's hook_name).") var hook: String?
    @Option(help: "Top examples kept per feature (default: 20).") var topExamples: Int?
    @Option(name: .customLong("top-k"), help: .hidden) var topKOldSpelling: Int?
    @Option(help: "Quantile buckets per feature (0: one pass, no samples).") var quantiles = 10
    @Option(help: "Rows sampled per quantile bucket.") var quantileSamples = 5
    @Option(help: "Rows to scan: A..B, A.., ..B (default: all).") var rows: String?
    @Option(help: "Skip rows at context positions below this (default: the run's --min-position, else 0; 1 skips BOS).") var minPosition: Int?
    @Option(help: "Features to keep, e.g. 0-99,512 (default: all).") var features: String?
    @Option(help: "Decode threads.") var workers = 1
    @Option(help: "Rows per sgemm.") var batchRows = 1024
    @Option(help: "Seed of the quantile sampling.") var seed: UInt64 = 0
    @Option(help: "Model directory or hub id (docs/MODELS.md): adds each feature's logit effect and token texts.") var model: String?
    @Option(help: "Token ids the model saw in training (`saestore training-tokens`), left out of the logit effects when absent (default: the model directory's training_tokens.json, when it has one).") var trainingTokens: String?
    @Option(help: "Tokens of context on each side of a report example.") var window = 8
    @Option(help: "Tokens of context stored on each side of every example (results.examples): `saestore feature --window` up to this is read, not recomputed.") var exampleWindow = 12
    @Option(help: "How the scan folds each batch: dense visits every (row, latent) activation, sparse only the open pairs of the encoder's CSR, auto is dense on the pre-activations (no ReLU pass; fastest measured). Same results.")
    var kernels = "auto"
    @Flag(help: "Write results only, no HTML report.") var noReport = false
    @Flag(help: "Leave out results.postings (every firing per feature, 16 bytes each, one more pass; `saestore serve`'s /features/{id}/rows reads it).") var noPostings = false
    @Flag(help: "No progress display.") var quiet = false
    @Flag(help: "Print the summary as JSON.") var json = false

    struct Summary: Encodable {
        var results: String
        var report: String?
        var rowsScanned: Int
        var featureCount: Int
        var deadFeatureCount: Int
        var scanSeconds: Double
        var rowsPerSecond: Double
        var reportSeconds: Double?
    }

    func run() throws {
        guard let kernelMode = SAEKernelMode(rawValue: kernels) else {
            throw ValidationError("--kernels must be auto, dense or sparse, not \(kernels)")
        }
        let source = try SAESource(path: sae)
        let reader = try openStore(at: try source.store(store))
        let range = try rows.map { try RowRange.parse($0, rowCount: reader.rowCount) }
        let topK = try RenamedOption.value(topExamples, newName: "--top-examples", old: topKOldSpelling, oldName: "--top-k") ?? 20
        let config = FeatureScanConfig(column: try source.column(hook), topK: topK, quantileCount: quantiles,
                                       samplesPerQuantile: quantileSamples, firstRow: range?.lowerBound, endRow: range?.upperBound,
                                       features: try features.map(FeatureScanConfig.parseFeatureList), workerCount: workers,
                                       batchRows: batchRows, seed: seed, minimumPosition: minPosition ?? source.minimumPosition)
        if trainingTokens != nil && self.model == nil {
            throw ValidationError("--training-tokens needs --model: it marks tokens in that model's logit effects")
        }
        let outURL = URL(fileURLWithPath: out)
        let model = try self.model.map { try resolveModel($0, quiet: quiet || json).files.directory }
        let bar = Progress("scan", unit: "rows", quiet: quiet || json)
        let results = try FeatureScanJob.run(reader: reader, sae: source, config: config, modelDirectory: model,
                                             trainingTokensPath: trainingTokens, out: outURL,
                                             exampleWindow: exampleWindow, kernels: kernelMode, postings: !noPostings) { p in
            bar.update((p.pass - 1) * p.rowsTotal + p.rowsDone, of: p.passCount * p.rowsTotal, extra: "pass \(p.pass)/\(p.passCount)")
        }
        bar.finish()
        let m = results.manifest
        var summary = Summary(results: outURL.appendingPathComponent(FeatureResultsManifest.fileName).path, report: nil,
                              rowsScanned: m.rowsScanned, featureCount: m.featureCount, deadFeatureCount: m.deadFeatureCount,
                              scanSeconds: m.scanSeconds, rowsPerSecond: m.rowsPerSecond, reportSeconds: nil)
        if !json {
            print("scanned \(m.rowsScanned) rows of \(m.config.column) in \(String(format: "%.1f", m.scanSeconds)) s (\(Progress.count(Int(m.rowsPerSecond))) rows/s over \(m.config.quantileCount > 0 ? 2 : 1) passes)")
            print("\(m.featureCount - m.deadFeatureCount) of \(m.featureCount) features fired, \(m.deadFeatureCount) dead; results in \(summary.results)")
        }
        if !noReport {
            let start = Date()
            let inspector = try FeatureInspector(resultsDirectory: outURL, model: model, window: window)
            let pages = Progress("report", unit: "features", quiet: quiet || json)
            try FeatureReport.write(inspector: inspector, to: outURL) { done, total in pages.update(done, of: total) }
            pages.finish()
            summary.report = outURL.appendingPathComponent("index.html").path
            summary.reportSeconds = Date().timeIntervalSince(start)
            if !json { print("report: \(summary.report!) (\(String(format: "%.1f", summary.reportSeconds!)) s); open it in a browser") }
        }
        if json { try printJSON(summary) }
    }
}
