import ActStore
import Extract
import Foundation
import SAELoading
import StreamTrain

/// Answers questions about scanned features from their stored results, without rescanning:
/// opens the store the results were computed on (refusing another store) and checks the SAE
/// they were computed with (refusing changed files), then serves each feature's examples
/// from DIR/results.examples, the windows resolved at scan time. Only results without that
/// file, or a window wider than the stored one, resolve examples from the store (decoding
/// activation chunks and encoding the window rows with the SAE, loaded then).
public final class FeatureInspector {
    /// The scan's results, loaded from `resultsDirectory` (tables, manifest, stored logit effects).
    public let results: FeatureResults
    /// The directory `saestore features` wrote (results.json and the tables beside it).
    public let resultsDirectory: URL
    /// The store the results were computed on (or the `store` given, checked to hold the same data).
    public let reader: any StoreReading
    /// The SAELens directory of the SAE (checked against the results; loaded only when needed).
    public let saeDirectory: URL
    /// Tokens of context on each side of an example.
    public let window: Int
    /// The stored windows, when the results have them and `window` fits in them.
    public let storedWindows: ExampleWindowsFile?
    /// The model's tokenizer, when a model directory is known (scan time or `model`).
    public let tokenizer: (any TextTokenizer)?
    /// Logit effects computed now, when the scan had no model but one is given.
    private let lateLogits: LogitEffectTable?
    /// Why logit tokens were left out, as one sentence (the scan's, or the late computation's).
    public let logitTokensLeftOutNote: String?
    private let logitTokensLeftOutCount: Int
    private var loadedSAE: SAESource?
    private var loadedResolver: ExampleResolver?

    /// - Parameters:
    ///   - store: use this store instead of the recorded path (it must hold the same data).
    ///   - sae: use this SAE directory or run instead of the recorded one (same files).
    ///   - model: a model directory for the logit effect and token texts.
    ///   - window: tokens of context on each side of an example.
    ///   - useStoredWindows: false resolves every example from the store, as results without
    ///     stored windows are (the tests hold both ways equal).
    public init(resultsDirectory: URL, store: String? = nil, sae: String? = nil, model: String? = nil, window: Int = 8,
                useStoredWindows: Bool = true) throws {
        guard window >= 0 else { throw FeaturesError.invalidArgument("--window must be >= 0, got \(window)") }
        results = try FeatureResults.load(directory: resultsDirectory)
        self.resultsDirectory = resultsDirectory
        self.window = window
        let resultsPath = resultsDirectory.appendingPathComponent(FeatureResultsManifest.fileName).path
        reader = try results.openStore(store, resultsPath: resultsPath)
        saeDirectory = try SAESource.directory(of: sae ?? results.manifest.sae.path)
        // Stat, not hash, while the SAE files are the ones the scan stamped (SAEIdentity).
        if let found = try results.manifest.sae.changedHash(directory: saeDirectory) {
            throw FeaturesError.saeChanged(results: resultsPath, sae: saeDirectory.path,
                                           expectedHash: results.manifest.sae.hash, foundHash: found)
        }
        if useStoredWindows, let info = results.manifest.examples, window <= info.window {
            storedWindows = try ExampleWindowsFile(path: resultsDirectory.appendingPathComponent(ExampleWindowsFile.fileName).path,
                                                   info: info, featureCount: results.tables.featureCount)
        } else {
            storedWindows = nil
        }
        let modelDirectory = model ?? results.manifest.model
        // vocab.json + merges.txt (GPT-2) or tokenizer.json (Llama family), as ingest picked it.
        if let modelDirectory, ["vocab.json", "tokenizer.json"].contains(where: { FileManager.default.fileExists(atPath: modelDirectory + "/" + $0) }) {
            tokenizer = try ModelTokenizer.load(directory: modelDirectory)
        } else {
            tokenizer = nil
        }
        if results.logits == nil, let model {
            let unembedding = try Unembedding(modelDirectory: model)
            let exclusions = try LogitExclusions.find(unembedding, modelDirectory: model)
            let source = try SAESource(path: saeDirectory.path)
            loadedSAE = source
            lateLogits = try LogitEffect.compute(decoder: FeatureScanJob.decoderRows(try SAEInputScale.fold(source.loaded.sae, scale: results.manifest.inputScale?.value ?? 1), results.tables.featureIDs),
                                                 featureCount: results.tables.featureCount,
                                                 unembedding: unembedding, tokenCount: 10, excluded: exclusions.excluded)
            logitTokensLeftOutCount = exclusions.leftOutCount
            logitTokensLeftOutNote = LogitExclusions.note(leftOut: exclusions.leftOutCount, collapsed: exclusions.collapsedCount,
                                                          untrained: exclusions.untrainedCount, trainingTokens: exclusions.trainingTokensPath)
        } else {
            lateLogits = nil
            logitTokensLeftOutCount = results.manifest.logitTokensLeftOut ?? 0
            logitTokensLeftOutNote = results.manifest.logitTokensLeftOutNote
        }
    }

    /// The SAE, loaded on first use (the stored windows do not need it).
    public func sae() throws -> SAESource {
        if let loadedSAE { return loadedSAE }
        let source = try SAESource(path: saeDirectory.path)
        loadedSAE = source
        return source
    }

    /// Resolves examples from the store, built on first use.
    public func resolver() throws -> ExampleResolver {
        if let loadedResolver { return loadedResolver }
        // The scan's scale, not a new estimate: the examples must match the stored activations.
        let runnable = try SAEInputScale.fold(try sae().loaded.sae, scale: results.manifest.inputScale?.value ?? 1)
        let resolver = try ExampleResolver(reader: reader, sae: runnable, column: results.manifest.config.column, window: window)
        loadedResolver = resolver
        return resolver
    }

    /// The feature with SAE id `id`: statistics, examples resolved to text, logit effect.
    public func detail(feature id: Int, quantiles: Bool = true) throws -> FeatureDetail {
        try details(features: [id], quantiles: quantiles)[0]
    }

    /// Several features at once (resolved from the store, their examples share chunk reads).
    public func details(features ids: [Int], quantiles: Bool = true) throws -> [FeatureDetail] {
        let t = results.tables
        let locals = try ids.map { try results.featureIndex($0) }
        func expected(_ f: Int) -> [(row: Int, activation: Float)] {
            var list = t.topExamples(f)
            if quantiles { for q in 0..<t.quantileCount { list += t.quantileSamples(f, bucket: q) } }
            return list
        }
        var examples: ArraySlice<FeatureExample>
        if let storedWindows {
            var all: [FeatureExample] = []
            for (id, f) in zip(ids, locals) { all += try storedWindows.examples(feature: f, id: id, window: window, expected: expected(f)) }
            examples = all[...]
        } else {
            let requests = zip(ids, locals).flatMap { id, f in
                expected(f).map { ExampleRequest(feature: id, row: $0.row, activation: $0.activation) }
            }
            examples = try resolver().resolve(requests)[...]
        }
        let logits = results.logits ?? lateLogits
        return zip(ids, locals).map { id, f in
            var top = Array(examples.prefix(t.topExamples(f).count))
            examples = examples.dropFirst(top.count)
            let keysContexts = results.manifest.foldsDuplicates
            var folded = 0
            for (i, count) in t.topDuplicateCounts(f).enumerated() where keysContexts {
                top[i].duplicates = count
                folded += count
            }
            var buckets: [FeatureDetail.Quantile] = []
            if quantiles {
                for q in 0..<t.quantileCount {
                    let count = t.quantileSamples(f, bucket: q).count
                    let range = t.quantileRange(f, bucket: q)
                    var samples = Array(examples.prefix(count))
                    for (i, duplicates) in t.quantileDuplicateCounts(f, bucket: q).enumerated() where keysContexts {
                        samples[i].duplicates = duplicates
                        folded += duplicates
                    }
                    buckets.append(.init(lower: range.lowerBound, upper: range.upperBound, count: t.quantileCounts[f * t.quantileCount + q],
                                         examples: samples))
                    examples = examples.dropFirst(count)
                }
                buckets.reverse()
            }
            let histogram = t.histogram(f).enumerated().compactMap { b, count in
                count > 0 ? FeatureDetail.Bin(lower: ActivationHistogram.lowerEdge(b), upper: ActivationHistogram.upperEdge(b), count: count) : nil
            }
            func tokens(_ list: [(token: Int, value: Float)]) -> [FeatureDetail.LogitToken] {
                list.map { entry in .init(tokenID: entry.token, text: tokenizer?.decode([UInt32(entry.token)]), value: entry.value) }
            }
            return FeatureDetail(feature: id, rowsScanned: t.rowsScanned, fireCount: t.fireCounts[f], frequency: t.frequency(f),
                                 meanActivation: t.meanActivation(f), maxActivation: t.maxActivation(f), histogram: histogram,
                                 topExamples: top, duplicatesFolded: folded, logitTokensLeftOut: logitTokensLeftOutCount,
                                 logitTokensLeftOutNote: logitTokensLeftOutNote,
                                 quantiles: buckets,
                                 promotedTokens: logits.map { tokens($0.promoted(f)) },
                                 suppressedTokens: logits.map { tokens($0.suppressed(f)) })
        }
    }
}
