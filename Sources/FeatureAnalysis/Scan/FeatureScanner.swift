import ActStore
import Dispatch
import Foundation
import SAELoading
import StreamTrain

/// Streams a store column through an SAE encoder and keeps, per feature, its exact top-k
/// rows, firing count, activation sum, histogram and (second pass) quantile samples.
///
/// Rows are read in store order by `StoreBatchSource` (chunks decompressed on worker threads),
/// encoded a batch at a time with one sgemm, and the batch's (B, H) activations are folded
/// into per-feature state by `FeatureTally` / `QuantileSampler`, features split into ranges
/// that update in parallel. Memory: k × features examples, the histograms, and one batch.
public enum FeatureScanner {
    /// Scans `reader`'s `config.column` through `sae`. `saeName` names the SAE in errors.
    /// `kernels`: how a batch's activations are folded — `.dense` encodes (ReLU/TopK written
    /// back) and visits every (row, feature) pair, skipping zeros with one compare (the plain
    /// path); `.sparse` visits only the open pairs of the encoder's CSR output
    /// (`SAEEncoder.encodeSparse`); `.auto` is `.dense` on the pre-activations for ReLU SAEs
    /// (the fold reads only values > 0, which are the same before and after ReLU, so the ReLU
    /// pass is skipped). All give identical tables. The sparse fold does not pay today:
    /// encodeSparse's gather pass over the dense activations costs more than the dense
    /// fold's compares (docs/FEATURES.md has the A/B).
    public static func scan(reader: any StoreReading, sae fullSAE: SparseAutoencoder, saeName: String,
                            config: FeatureScanConfig, kernels: SAEKernelMode = .auto,
                            progress: (FeatureScanProgress) -> Void = { _ in }) throws -> FeatureTables {
        try config.validate()
        let spec = try reader.spec(config.column)
        guard spec.codec.isFloat else {
            throw FeaturesError.invalidArgument("column \(config.column) of \(reader.path) holds \(spec.codec.rawValue) integers, not activations")
        }
        guard spec.width == fullSAE.dIn else {
            throw FeaturesError.widthMismatch(sae: saeName, dIn: fullSAE.dIn, column: config.column, width: spec.width)
        }
        let featureIDs = config.features ?? Array(0..<fullSAE.dSAE)
        if let last = featureIDs.last, last >= fullSAE.dSAE {
            throw FeaturesError.invalidArgument("feature \(last) does not exist: \(saeName) has \(fullSAE.dSAE) features (0...\(fullSAE.dSAE - 1))")
        }
        // A ReLU SAE's latents are independent, so a subset is encoded by a sliced encoder;
        // TopK needs every pre-activation to pick a row's k, so it encodes all and picks.
        let sliced = config.features != nil && fullSAE.architecture != .topk
        let sae = sliced ? try slice(fullSAE, featureIDs) : fullSAE
        let columnOfFeature = sliced ? Array(0..<featureIDs.count) : featureIDs
        let first = config.firstRow ?? 0
        let end = config.endRow ?? reader.rowCount
        guard end <= reader.rowCount, first < end else {
            throw FeaturesError.invalidArgument("rows \(first)..<\(end) are not within the \(reader.rowCount) rows of \(reader.path)")
        }
        let minimumPosition = config.minimumPosition ?? 0
        // Rows the position filter keeps (all of the range without one).
        let rowTotal = minimumPosition > 0
            ? try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: config.column, firstRow: first, endRow: end,
                                                                              minimumPosition: minimumPosition, shuffle: false)).rowsPerEpoch
            : end - first
        let F = featureIDs.count, H = sae.dSAE
        let passCount = config.quantileCount > 0 ? 2 : 1
        let ranges = partition(F, parts: min(ProcessInfo.processInfo.activeProcessorCount, max(1, F / 128)))
        // When picking from a full TopK encoding, a range's columns in the batch are not
        // contiguous; compact them first (rare path: TopK with --features).
        let gather = !sliced && config.features != nil
        let start = Date()
        var encoder = SAEEncoder(sae: sae, maxRowCount: config.batchRows)

        // The sparse fold reads latent j as local feature j, which holds unless TopK columns
        // are picked out of a full encoding (`gather`).
        typealias DenseFold = (UnsafeBufferPointer<Float>, Int, Int, [Int], [UInt64]) -> Void
        typealias SparseFold = (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>, Int, [Int], [UInt64]) -> Void
        let sparse = kernels == .sparse && !gather
        // The dense folds read only activations > 0, which for a ReLU SAE are the positive
        // pre-activations themselves: skip writing the ReLU back (`.dense` keeps it, as the
        // plain path the others are measured against).
        let preActivationsSuffice = sae.architecture.isReLU && kernels == .auto
        func runPass(_ pass: Int, dense fold: DenseFold, sparse sparseFold: SparseFold) throws {
            let loader = StreamLoaderConfig(column: config.column, firstRow: first, endRow: end, shuffleBufferRows: 1,
                                            workerCount: config.workerCount, prefetchChunks: 2 * config.workerCount + 1,
                                            minimumPosition: minimumPosition, shuffle: false)
            let source = try StoreBatchSource(reader: reader, config: loader)
            let contexts = try ContextKeys(reader: reader, firstRow: first)
            var batch = [Float](repeating: 0, count: config.batchRows * spec.width)
            var acts: [Float] = []
            var picked: [Float] = []
            var rowStarts: [Int32] = [], latents: [Int32] = [], values: [Float] = []
            var done = 0
            while true {
                let n = try source.nextBatch(into: &batch, maxRowCount: config.batchRows)
                if n == 0 { break }
                let keys = try contexts.keys(of: source.lastBatchRows)
                if sparse {
                    encoder.encodeSparse(batch, rowCount: n, rowStarts: &rowStarts, latents: &latents, values: &values)
                    rowStarts.withUnsafeBufferPointer { rs in
                        latents.withUnsafeBufferPointer { ls in
                            values.withUnsafeBufferPointer { vs in sparseFold(rs, ls, vs, n, source.lastBatchRows, keys) }
                        }
                    }
                } else {
                    if preActivationsSuffice {
                        encoder.encodePreActivations(batch, rowCount: n, into: &acts)
                    } else {
                        encoder.encode(batch, rowCount: n, into: &acts)
                    }
                    if gather {
                        if picked.count != n * F { picked = [Float](repeating: 0, count: n * F) }
                        for b in 0..<n { for f in 0..<F { picked[b * F + f] = acts[b * H + columnOfFeature[f]] } }
                        picked.withUnsafeBufferPointer { fold($0, n, F, source.lastBatchRows, keys) }
                    } else {
                        acts.withUnsafeBufferPointer { fold($0, n, H, source.lastBatchRows, keys) }
                    }
                }
                done += n
                let seconds = Date().timeIntervalSince(start)
                let overall = (pass - 1) * rowTotal + done
                let rate = seconds > 0 ? Double(overall) / seconds : 0
                progress(FeatureScanProgress(pass: pass, passCount: passCount, rowsDone: done, rowsTotal: rowTotal,
                                             seconds: seconds, rowsPerSecond: rate,
                                             etaSeconds: rate > 0 ? Double(passCount * rowTotal - overall) / rate : 0))
            }
            guard done == rowTotal else {
                throw FeaturesError.invalidArgument("\(reader.path) yielded \(done) rows of \(rowTotal) (did the store change during the scan?)")
            }
        }

        let tallies = ranges.map { FeatureTally(features: $0, k: config.topK) }
        try runPass(1, dense: { acts, B, stride, rows, keys in
            DispatchQueue.concurrentPerform(iterations: tallies.count) { p in
                tallies[p].add(acts: acts, rowCount: B, stride: stride, rows: rows, keys: keys)
            }
        }, sparse: { rowStarts, latents, values, B, rows, keys in
            DispatchQueue.concurrentPerform(iterations: tallies.count) { p in
                tallies[p].add(rowStarts: rowStarts, latents: latents, values: values, rowCount: B, rows: rows, keys: keys)
            }
        })

        var tables = FeatureTables(featureIDs: featureIDs, topK: config.topK, quantileCount: config.quantileCount,
                                   samplesPerQuantile: config.quantileCount > 0 ? config.samplesPerQuantile : 0,
                                   rowsScanned: rowTotal, fireCounts: [], activationSums: [],
                                   topRows: [Int](repeating: -1, count: F * config.topK),
                                   topActivations: [Float](repeating: 0, count: F * config.topK),
                                   histograms: [], quantileCounts: [], quantileRows: [], quantileActivations: [],
                                   topDuplicates: [Int](repeating: 0, count: F * config.topK))
        for tally in tallies {
            tables.fireCounts += tally.fireCounts
            tables.activationSums += tally.activationSums
            tables.histograms += tally.histograms
            for local in 0..<tally.features.count {
                let f = tally.features.lowerBound + local
                for (i, example) in tally.sortedExamples(local).enumerated() {
                    tables.topRows[f * config.topK + i] = example.row
                    tables.topActivations[f * config.topK + i] = example.activation
                    tables.topDuplicates[f * config.topK + i] = example.duplicates
                }
            }
        }

        if config.quantileCount > 0 {
            let Q = config.quantileCount, s = config.samplesPerQuantile
            let samplers = ranges.map { range in
                QuantileSampler(features: range, featureIDs: Array(featureIDs[range]),
                                maxima: range.map { tables.maxActivation($0) }, bucketCount: Q, samplesPerBucket: s,
                                seed: config.seed)
            }
            if tables.fireCounts.contains(where: { $0 > 0 }) {
                try runPass(2, dense: { acts, B, stride, rows, keys in
                    DispatchQueue.concurrentPerform(iterations: samplers.count) { p in
                        samplers[p].add(acts: acts, rowCount: B, stride: stride, rows: rows, keys: keys)
                    }
                }, sparse: { rowStarts, latents, values, B, rows, keys in
                    DispatchQueue.concurrentPerform(iterations: samplers.count) { p in
                        samplers[p].add(rowStarts: rowStarts, latents: latents, values: values, rowCount: B, rows: rows, keys: keys)
                    }
                })
            }
            tables.quantileRows = [Int](repeating: -1, count: F * Q * s)
            tables.quantileActivations = [Float](repeating: 0, count: F * Q * s)
            tables.quantileDuplicates = [Int](repeating: 0, count: F * Q * s)
            for sampler in samplers {
                tables.quantileCounts += sampler.bucketCounts
                for local in 0..<sampler.features.count {
                    let f = sampler.features.lowerBound + local
                    for q in 0..<Q {
                        for (i, sample) in sampler.samples(local, bucket: q).enumerated() {
                            tables.quantileRows[(f * Q + q) * s + i] = sample.row
                            tables.quantileActivations[(f * Q + q) * s + i] = sample.activation
                            tables.quantileDuplicates[(f * Q + q) * s + i] = sample.duplicates
                        }
                    }
                }
            }
        }
        return tables
    }

    /// `count` items cut into `parts` contiguous ranges of near-equal size.
    static func partition(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, count))
        return (0..<parts).map { p in (p * count / parts)..<((p + 1) * count / parts) }
    }

    /// An SAE with only the given latents (their encoder columns, biases and decoder rows).
    static func slice(_ sae: SparseAutoencoder, _ ids: [Int]) throws -> SparseAutoencoder {
        let C = sae.dIn, H = sae.dSAE, n = ids.count
        var wEnc = [Float](repeating: 0, count: C * n)
        for c in 0..<C { for (j, id) in ids.enumerated() { wEnc[c * n + j] = sae.weights.wEnc[c * H + id] } }
        let bEnc = ids.map { sae.weights.bEnc[$0] }
        var wDec: [Float] = []
        if !sae.architecture.isTied {
            wDec.reserveCapacity(n * C)
            for id in ids { wDec += sae.weights.wDec[id * C..<(id + 1) * C] }
        }
        return try SparseAutoencoder(architecture: sae.architecture, dIn: C, dSAE: n, k: sae.k,
                                     applyBDecToInput: sae.applyBDecToInput,
                                     weights: SAEWeights(wEnc: wEnc, bEnc: bEnc, wDec: wDec, bDec: sae.weights.bDec,
                                                         threshold: sae.architecture.hasThreshold
                                                             ? ids.map { sae.weights.threshold[$0] } : [],
                                                         rMag: sae.architecture.isGated ? ids.map { sae.weights.rMag[$0] } : [],
                                                         bMag: sae.architecture.isGated ? ids.map { sae.weights.bMag[$0] } : []))
    }
}
