import ActStore
import Extract
import Foundation
import StreamTrain

/// Answers questions about scanned features from their stored results, without rescanning:
/// opens the store the results were computed on (refusing another store) and the SAE they
/// were computed with (refusing changed weights), and resolves examples to text.
public final class FeatureInspector {
    public let results: FeatureResults
    public let resultsDirectory: URL
    public let reader: StoreReader
    public let sae: SAESource
    public let resolver: ExampleResolver
    /// The model's tokenizer, when a model directory is known (scan time or `model`).
    public let tokenizer: GPT2Tokenizer?
    /// Logit effects computed now, when the scan had no model but one is given.
    private let lateLogits: LogitEffectTable?

    /// - Parameters:
    ///   - store: use this store instead of the recorded path (it must hold the same data).
    ///   - sae: use this SAE directory or run instead of the recorded one (same files).
    ///   - model: a model directory for the logit effect and token texts.
    ///   - window: tokens of context on each side of an example.
    public init(resultsDirectory: URL, store: String? = nil, sae: String? = nil, model: String? = nil, window: Int = 8) throws {
        results = try FeatureResults.load(directory: resultsDirectory)
        self.resultsDirectory = resultsDirectory
        let resultsPath = resultsDirectory.appendingPathComponent(FeatureResultsManifest.fileName).path
        reader = try results.openStore(store, resultsPath: resultsPath)
        self.sae = try SAESource(path: sae ?? results.manifest.sae.path)
        guard self.sae.identity.hash == results.manifest.sae.hash else {
            throw FeaturesError.saeChanged(results: resultsPath, sae: self.sae.directory.path,
                                           expectedHash: results.manifest.sae.hash, foundHash: self.sae.identity.hash)
        }
        resolver = try ExampleResolver(reader: reader, sae: self.sae.loaded.sae, column: results.manifest.config.column, window: window)
        let modelDirectory = model ?? results.manifest.model
        if let modelDirectory, FileManager.default.fileExists(atPath: modelDirectory + "/vocab.json") {
            tokenizer = try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt")
        } else {
            tokenizer = nil
        }
        if results.logits == nil, let model {
            lateLogits = try LogitEffect.compute(decoder: FeatureScanJob.decoderRows(self.sae.loaded.sae, results.tables.featureIDs),
                                                 featureCount: results.tables.featureCount,
                                                 unembedding: try Unembedding(modelDirectory: model), tokenCount: 10)
        } else {
            lateLogits = nil
        }
    }

    /// The feature with SAE id `id`: statistics, examples resolved to text, logit effect.
    public func detail(feature id: Int, quantiles: Bool = true) throws -> FeatureDetail {
        try details(features: [id], quantiles: quantiles)[0]
    }

    /// Several features at once (their examples share chunk reads).
    public func details(features ids: [Int], quantiles: Bool = true) throws -> [FeatureDetail] {
        let t = results.tables
        let locals = try ids.map { try results.featureIndex($0) }
        var requests: [ExampleRequest] = []
        for (id, f) in zip(ids, locals) {
            requests += t.topExamples(f).map { ExampleRequest(feature: id, row: $0.row, activation: $0.activation) }
            if quantiles {
                for q in 0..<t.quantileCount {
                    requests += t.quantileSamples(f, bucket: q).map { ExampleRequest(feature: id, row: $0.row, activation: $0.activation) }
                }
            }
        }
        var examples = try resolver.resolve(requests)[...]
        let logits = results.logits ?? lateLogits
        return zip(ids, locals).map { id, f in
            let top = Array(examples.prefix(t.topExamples(f).count))
            examples = examples.dropFirst(top.count)
            var buckets: [FeatureDetail.Quantile] = []
            if quantiles {
                for q in 0..<t.quantileCount {
                    let count = t.quantileSamples(f, bucket: q).count
                    let range = t.quantileRange(f, bucket: q)
                    buckets.append(.init(lower: range.lowerBound, upper: range.upperBound, count: t.quantileCounts[f * t.quantileCount + q],
                                         examples: Array(examples.prefix(count))))
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
                                 topExamples: top, quantiles: buckets,
                                 promotedTokens: logits.map { tokens($0.promoted(f)) },
                                 suppressedTokens: logits.map { tokens($0.suppressed(f)) })
        }
    }
}
