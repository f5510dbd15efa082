import ActStore
import Foundation
import SAELoading
import StreamTrain

/// `saestore features`: scan, logit effects (with a model), results written to a directory.
public enum FeatureScanJob {
    /// Scans `reader` with `sae` and writes DIR/results.json + DIR/results.safetensors +
    /// DIR/results.examples (every reported example with `exampleWindow` tokens of context on
    /// each side and the feature's activation on each, resolved once here so that showing a
    /// feature later reads them instead of the store's chunks and the SAE).
    /// With `modelDirectory`, each feature's logit effect is computed and stored too, leaving out
    /// collapsed tokens and tokens never seen in training (`LogitExclusions`: from
    /// `trainingTokensPath`, else the model directory's training_tokens.json when it has one).
    /// With `postings`, DIR/results.postings too: every firing, per feature, strongest first
    /// (`FeaturePostingsFile`; one more pass over the rows, reported as pass passCount + 1),
    /// when the store has a token_id column (one without gets none).
    public static func run(reader: any StoreReading, sae: SAESource, config: FeatureScanConfig, modelDirectory: String?,
                           trainingTokensPath: String? = nil,
                           out: URL, exampleWindow: Int = 12, kernels: SAEKernelMode = .auto, postings: Bool = false,
                           progress: (FeatureScanProgress) -> Void = { _ in }) throws -> FeatureResults {
        // Fail on a bad model before scanning, not after.
        let unembedding = try modelDirectory.map { try Unembedding(modelDirectory: $0) }
        let exclusions = try unembedding.map {
            try LogitExclusions.find($0, modelDirectory: modelDirectory!, trainingTokensPath: trainingTokensPath)
        }
        let identity = try StoreIdentity(reader: reader, column: config.column)
        let runnable = try sae.runnable(reader: reader, column: config.column)
        let resolver = try ExampleResolver(reader: reader, sae: runnable.sae, column: config.column, window: exampleWindow)
        let start = Date()
        let tables = try FeatureScanner.scan(reader: reader, sae: runnable.sae, saeName: sae.directory.path,
                                             config: config, kernels: kernels, progress: progress)
        let seconds = Date().timeIntervalSince(start)
        var logits: LogitEffectTable?
        if let unembedding, let exclusions {
            logits = try LogitEffect.compute(decoder: decoderRows(runnable.sae, tables.featureIDs), featureCount: tables.featureCount,
                                             unembedding: unembedding, tokenCount: 10, excluded: exclusions.excluded)
        }
        // Examples before the manifest: a directory with a results.json has all its files.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let examples = try ExampleWindowsFile.write(tables: tables, resolver: resolver,
                                                    to: out.appendingPathComponent(ExampleWindowsFile.fileName))
        let postingsURL = out.appendingPathComponent(FeaturePostingsFile.fileName)
        // A posting carries its row's token id: a store imported without token ids (an .npy
        // column alone) gets no postings file, rather than one with made-up ids.
        if postings && reader.columns.contains(where: { $0.name == TokenColumn.tokenID }) {
            let passes = config.quantileCount > 0 ? 2 : 1
            let postingsStart = Date()
            try FeaturePostingsFile.write(reader: reader, sae: runnable.sae, config: config, tables: tables, to: postingsURL) { done in
                let seconds = Date().timeIntervalSince(postingsStart)
                progress(FeatureScanProgress(pass: passes + 1, passCount: passes + 1, rowsDone: done, rowsTotal: tables.rowsScanned,
                                             seconds: seconds, rowsPerSecond: seconds > 0 ? Double(done) / seconds : 0, etaSeconds: 0))
            }
        } else {
            // Postings of an earlier scan into this directory would not match these results.
            try? FileManager.default.removeItem(at: postingsURL)
        }
        let passes = config.quantileCount > 0 ? 2.0 : 1.0
        let manifest = FeatureResultsManifest(
            formatVersion: FeatureResultsManifest.currentFormatVersion,
            createdAt: ISO8601DateFormatter().string(from: Date()), store: identity, sae: sae.identity, config: config,
            rowsScanned: tables.rowsScanned, featureCount: tables.featureCount,
            deadFeatureCount: tables.fireCounts.filter { $0 == 0 }.count,
            histogramMinimumExponent: ActivationHistogram.minimumExponent,
            histogramMaximumExponent: ActivationHistogram.maximumExponent,
            histogramBinsPerOctave: ActivationHistogram.binsPerOctave,
            model: modelDirectory.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
            logitTokenCount: logits?.tokenCount ?? 0, scanSeconds: seconds,
            rowsPerSecond: seconds > 0 ? passes * Double(tables.rowsScanned) / seconds : 0, examples: examples,
            inputScale: runnable.scale == .identity ? nil : runnable.scale,
            foldsDuplicateContexts: try ContextKeys(reader: reader, firstRow: 0).namesContexts,
            rowsSkippedByPosition: (config.endRow ?? reader.rowCount) - (config.firstRow ?? 0) - tables.rowsScanned,
            logitTokensLeftOut: exclusions?.leftOutCount,
            logitTokensCollapsed: exclusions?.collapsedCount, logitTokensUntrained: exclusions?.untrainedCount,
            trainingTokens: exclusions?.trainingTokensPath)
        let results = FeatureResults(manifest: manifest, tables: tables, logits: logits)
        try results.write(to: out)
        return results
    }

    /// Decoder rows of the given features, (ids.count, dIn).
    static func decoderRows(_ sae: SparseAutoencoder, _ ids: [Int]) -> [Float] {
        let C = sae.dIn, H = sae.dSAE
        var out: [Float] = []
        out.reserveCapacity(ids.count * C)
        if sae.architecture.isTied {
            for id in ids { for c in 0..<C { out.append(sae.weights.wEnc[c * H + id]) } }
        } else {
            for id in ids { out += sae.weights.wDec[id * C..<(id + 1) * C] }
        }
        return out
    }
}
