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
