import Foundation
import StreamTrain

/// The scan's plain definition, which `FeatureScanner` is held to in the tests: encode
/// every row with loops, then per feature sort all firing rows, count, sum and bucket.
/// Memory is rows × features; for small stores only.
public enum FeatureScanReference {
    /// Latent activations of `rowCount` rows with plain loops: pre = (x − b_dec?) · W_enc +
    /// b_enc, then ReLU, or TopK (keep the k largest pre-activations, ties to the lower
    /// index, then ReLU), or gated ([π_gate > 0]·ReLU(π_mag)). (rowCount, dSAE)
    public static func encode(_ sae: SparseAutoencoder, rows x: [Float], rowCount: Int) -> [Float] {
        let C = sae.dIn, H = sae.dSAE, w = sae.weights
        var out = [Float](repeating: 0, count: rowCount * H)
        for b in 0..<rowCount {
            var pre = w.bEnc
            for c in 0..<C {
                let xc = x[b * C + c] - (sae.applyBDecToInput ? w.bDec[c] : 0)
                for j in 0..<H { pre[j] += xc * w.wEnc[c * H + j] }
            }
            if sae.architecture == .topk {
                let keep = Set((0..<H).sorted { pre[$0] > pre[$1] || (pre[$0] == pre[$1] && $0 < $1) }.prefix(sae.k))
                for j in 0..<H { out[b * H + j] = keep.contains(j) ? max(pre[j], 0) : 0 }
            } else if sae.architecture.isGated {
                // Both paths from the bias-free product z: π_gate = z + b_gate (b_enc),
                // π_mag = exp(r_mag)·z + b_mag (docs/SAE.md).
                var z = [Float](repeating: 0, count: H)
                for c in 0..<C {
                    let xc = x[b * C + c] - (sae.applyBDecToInput ? w.bDec[c] : 0)
                    for j in 0..<H { z[j] += xc * w.wEnc[c * H + j] }
                }
                for j in 0..<H {
                    let magnitude = exp(w.rMag[j]) * z[j] + w.bMag[j]
                    out[b * H + j] = z[j] + w.bEnc[j] > 0 ? max(magnitude, 0) : 0
                }
            } else if sae.architecture.hasThreshold {
                for j in 0..<H { out[b * H + j] = pre[j] > w.threshold[j] ? max(pre[j], 0) : 0 }
            } else {
                for j in 0..<H { out[b * H + j] = max(pre[j], 0) }
            }
        }
        return out
    }

    /// Tables from activations `acts` (rows.count, dSAE) of the rows `rows` (ascending), whose
    /// context keys are `keys` (nil: each row its own context). Top examples are the best rows
    /// of the k best distinct contexts; quantile samples are the s distinct contexts of smallest
    /// priority (first row of each); each kept example counts the other firing rows of its
    /// context (in its bucket, for samples) as folded duplicates.
    public static func tables(acts: [Float], rows: [Int], keys: [UInt64]? = nil, dSAE H: Int, config: FeatureScanConfig) -> FeatureTables {
        let keys = keys ?? rows.map { UInt64($0) }
        var keyOfRow: [Int: UInt64] = [:]
        for (row, key) in zip(rows, keys) { keyOfRow[row] = key }
        let ids = config.features ?? Array(0..<H)
        let k = config.topK, Q = config.quantileCount, s = Q > 0 ? config.samplesPerQuantile : 0
        var tables = FeatureTables(featureIDs: ids, topK: k, quantileCount: Q, samplesPerQuantile: s, rowsScanned: rows.count,
                                   fireCounts: [], activationSums: [], topRows: [], topActivations: [], histograms: [],
                                   quantileCounts: [], quantileRows: [], quantileActivations: [],
                                   topDuplicates: [], quantileDuplicates: [])
        func best(_ a: (row: Int, activation: Float), _ b: (row: Int, activation: Float)) -> Bool {
            a.activation > b.activation || (a.activation == b.activation && a.row < b.row)
        }
        for id in ids {
            var firing: [(row: Int, activation: Float)] = []
            var sum = 0.0
            var histogram = [Int](repeating: 0, count: ActivationHistogram.binCount)
            for (b, row) in rows.enumerated() {
                let a = acts[b * H + id]
                if a > 0 {
                    firing.append((row, a))
                    sum += Double(a)
                    histogram[ActivationHistogram.referenceBin(a)] += 1
                }
            }
            tables.fireCounts.append(firing.count)
            tables.activationSums.append(sum)
            tables.histograms += histogram
            let sorted = firing.sorted(by: best)
            var membersOfKey: [UInt64: Int] = [:]
            for example in firing { membersOfKey[keyOfRow[example.row]!, default: 0] += 1 }
            var seen = Set<UInt64>()
            var kept: [(row: Int, activation: Float)] = []
            for example in sorted where kept.count < k && seen.insert(keyOfRow[example.row]!).inserted { kept.append(example) }
            for i in 0..<k {
                tables.topRows.append(i < kept.count ? kept[i].row : -1)
                tables.topActivations.append(i < kept.count ? kept[i].activation : 0)
                tables.topDuplicates.append(i < kept.count ? membersOfKey[keyOfRow[kept[i].row]!]! - 1 : 0)
            }
            guard Q > 0 else { continue }
            let maxActivation = kept.first?.activation ?? 0
            let scale = maxActivation > 0 ? Float(Q) / maxActivation : 0
            for q in 0..<Q {
                let members = firing.filter { QuantileSampler.bucket($0.activation, scale: scale, bucketCount: Q) == q }
                tables.quantileCounts.append(members.count)
                typealias Prioritised = (example: (row: Int, activation: Float), priority: UInt64)
                let prioritised: [Prioritised] = members.map { example in
                    (example, QuantileSampler.priority(seed: config.seed, feature: id, key: keyOfRow[example.row]!))
                }
                let byPriority = prioritised.sorted { (a: Prioritised, b: Prioritised) -> Bool in
                    a.priority < b.priority || (a.priority == b.priority && a.example.row < b.example.row)
                }
                var bucketMembersOfKey: [UInt64: Int] = [:]
                for example in members { bucketMembersOfKey[keyOfRow[example.row]!, default: 0] += 1 }
                var seenInBucket = Set<UInt64>()
                let distinct = byPriority.filter { seenInBucket.insert(keyOfRow[$0.example.row]!).inserted }
                let sample = distinct.prefix(s).map { $0.example }.sorted(by: best)
                for i in 0..<s {
                    tables.quantileRows.append(i < sample.count ? sample[i].row : -1)
                    tables.quantileActivations.append(i < sample.count ? sample[i].activation : 0)
                    tables.quantileDuplicates.append(i < sample.count ? bucketMembersOfKey[keyOfRow[sample[i].row]!]! - 1 : 0)
                }
            }
        }
        return tables
    }
}
