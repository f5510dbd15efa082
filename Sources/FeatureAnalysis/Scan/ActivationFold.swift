/// A per-feature accumulator that takes a batch's positive activations one at a time
/// (`FeatureTally`, `QuantileSampler`).
protocol ActivationFolding {
    /// Folds a positive activation of local feature f at global row `row`, whose context
    /// key (`ContextKeys`) is `key`.
    func fold(_ a: Float, feature f: Int, row: Int, key: UInt64)
}

/// The two ways a batch reaches an `ActivationFolding`: dense latents, or the encoder's
/// compressed sparse rows. Both visit the positive (row, feature) pairs in the same order —
/// rows in batch order, features ascending — so the accumulator ends bit-for-bit the same.
enum ActivationFold {
    /// Every positive activation of `features` in the (B, H) row-major batch `acts`
    /// (feature `features.lowerBound + f` is local feature f).
    // acts: (B,H)
    @inline(__always)
    static func dense<State: ActivationFolding>(_ state: State, acts: UnsafeBufferPointer<Float>, rowCount B: Int,
                                                stride H: Int, rows: [Int], keys: [UInt64], features: Range<Int>) {
        let lo = features.lowerBound, n = features.count
        for b in 0..<B {
            let row = rows[b], key = keys[b]
            let base = acts.baseAddress! + b * H + lo
            for f in 0..<n {
                let a = base[f]
                guard a > 0 else { continue }
                state.fold(a, feature: f, row: row, key: key)
            }
        }
    }

    /// The same from compressed sparse rows: row b's open latents are
    /// `latents[rowStarts[b]..<rowStarts[b+1]]`, ascending, with activations `values[…]`.
    @inline(__always)
    static func sparse<State: ActivationFolding>(_ state: State, rowStarts: UnsafeBufferPointer<Int32>,
                                                 latents: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>,
                                                 rowCount B: Int, rows: [Int], keys: [UInt64], features: Range<Int>) {
        let lo = Int32(features.lowerBound), hi = Int32(features.upperBound)
        for b in 0..<B {
            let row = rows[b], key = keys[b]
            let end = Int(rowStarts[b + 1])
            var e = firstEntry(atLeast: lo, latents, Int(rowStarts[b]), end)
            while e < end {
                let j = latents[e]
                if j >= hi { break }
                let a = values[e]
                if a > 0 { state.fold(a, feature: Int(j - lo), row: row, key: key) }
                e += 1
            }
        }
    }

    /// The first entry in [start, end) whose latent is >= `latent` (entries ascending).
    @inline(__always)
    static func firstEntry(atLeast latent: Int32, _ latents: UnsafeBufferPointer<Int32>, _ start: Int, _ end: Int) -> Int {
        var lo = start, hi = end
        while lo < hi {
            let mid = (lo + hi) / 2
            if latents[mid] < latent { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// A scan pass's per-feature accumulator over a range of features (`FeatureTally` in pass one,
/// `QuantileSampler` in pass two): both take batches the same two ways, so the entry points
/// live here once and each accumulator only says how to fold one activation (`State`).
protocol FeatureFoldAccumulator: AnyObject {
    associatedtype State: ActivationFolding
    /// Local feature indices covered, [lowerBound, upperBound).
    var features: Range<Int> { get }
    /// Runs `body` with the accumulator's arrays as pointers for one batch.
    func withState(_ body: (inout State) -> Void)
}

extension FeatureFoldAccumulator {
    /// Adds a batch. `acts` is (B, H) row-major latent activations with this accumulator's
    /// features at columns [features); `rows` are the batch rows' global row numbers and `keys`
    /// their context keys.
    // acts: (B,H)
    func add(acts: UnsafeBufferPointer<Float>, rowCount B: Int, stride H: Int, rows: [Int], keys: [UInt64]) {
        withState { ActivationFold.dense($0, acts: acts, rowCount: B, stride: H, rows: rows, keys: keys, features: features) }
    }

    /// Adds a batch given as compressed sparse rows (SAEEncoder.encodeSparse): row b's open
    /// latents are `latents[rowStarts[b]..<rowStarts[b+1]]`, ascending, with activations
    /// `values[…]`; latent j is local feature j. Only the open pairs are visited, in the same
    /// (row, feature) order as the dense loop, so the state ends bit-for-bit the same.
    func add(rowStarts: UnsafeBufferPointer<Int32>, latents: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>,
             rowCount B: Int, rows: [Int], keys: [UInt64]) {
        withState { ActivationFold.sparse($0, rowStarts: rowStarts, latents: latents, values: values,
                                          rowCount: B, rows: rows, keys: keys, features: features) }
    }
}

/// Kept examples of one feature (or one quantile bucket), as the accumulators hold them: slots
/// [start, start + count) of parallel row / activation / duplicate arrays, returned best first
/// (larger activation, then smaller row), the order every table and page shows.
enum KeptExamples {
    static func sorted(rows: [Int], activations: [Float], duplicates: [Int], start: Int, count: Int)
        -> [(row: Int, activation: Float, duplicates: Int)] {
        var examples = (0..<count).map {
            (row: rows[start + $0], activation: activations[start + $0], duplicates: duplicates[start + $0])
        }
        examples.sort { FeatureTally.isWorse($1.activation, $1.row, than: $0.activation, $0.row) }
        return examples
    }
}
