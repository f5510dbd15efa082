/// Pass one of the scan for a contiguous range of features: each feature's exact top-k rows
/// (a min-heap whose root is the worst kept example), firing count, activation sum and
/// histogram. Ranges are disjoint, so tallies of different ranges update in parallel.
///
/// Most activations never enter a heap: a full heap's root activation is kept in
/// `thresholds`, and a value below it is skipped with one compare.
final class FeatureTally {
    /// Local feature indices covered, [lowerBound, upperBound).
    let features: Range<Int>
    let k: Int
    /// Per feature: k slots; slots [0, heapCounts[f]) form a heap, worst example at the root.
    var heapActivations: [Float]
    var heapRows: [Int]
    var heapCounts: [Int]
    /// 0 while a heap has room (every firing row is a candidate), then its root's activation.
    var thresholds: [Float]
    var fireCounts: [Int]
    var activationSums: [Double]
    /// (features, ActivationHistogram.binCount)
    var histograms: [Int]

    init(features: Range<Int>, k: Int) {
        self.features = features
        self.k = k
        let n = features.count
        heapActivations = [Float](repeating: 0, count: n * k)
        heapRows = [Int](repeating: -1, count: n * k)
        heapCounts = [Int](repeating: 0, count: n)
        thresholds = [Float](repeating: 0, count: n)
        fireCounts = [Int](repeating: 0, count: n)
        activationSums = [Double](repeating: 0, count: n)
        histograms = [Int](repeating: 0, count: n * ActivationHistogram.binCount)
    }

    /// Example a is worse than b: lower activation, or equal activation and a later row.
    @inline(__always)
    static func isWorse(_ a: Float, _ rowA: Int, than b: Float, _ rowB: Int) -> Bool {
        a < b || (a == b && rowA > rowB)
    }

    /// Adds a batch. `acts` is (B, H) row-major latent activations with this tally's features
    /// at columns [features); `rows` are the batch rows' global row numbers.
    // acts: (B,H)
    func add(acts: UnsafeBufferPointer<Float>, rowCount B: Int, stride H: Int, rows: [Int]) {
        withState { ActivationFold.dense($0, acts: acts, rowCount: B, stride: H, rows: rows, features: features) }
    }

    /// Adds a batch given as compressed sparse rows (SAEEncoder.encodeSparse): row b's open
    /// latents are `latents[rowStarts[b]..<rowStarts[b+1]]`, ascending, with activations
    /// `values[…]`; latent j is local feature j. Only the open pairs are visited, in the same
    /// (row, feature) order as the dense loop, so the state ends bit-for-bit the same.
    func add(rowStarts: UnsafeBufferPointer<Int32>, latents: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>,
             rowCount B: Int, rows: [Int]) {
        withState { ActivationFold.sparse($0, rowStarts: rowStarts, latents: latents, values: values,
                                          rowCount: B, rows: rows, features: features) }
    }

    /// The per-feature arrays as pointers, for one batch's fold.
    struct State: ActivationFolding {
        let k: Int
        let heapActs: UnsafeMutablePointer<Float>, heapRows: UnsafeMutablePointer<Int>, heapCounts: UnsafeMutablePointer<Int>
        let thresholds: UnsafeMutablePointer<Float>, fireCounts: UnsafeMutablePointer<Int>, sums: UnsafeMutablePointer<Double>
        let histograms: UnsafeMutablePointer<Int>
        /// Folds a positive activation of local feature f at `row`.
        @inline(__always)
        func fold(_ a: Float, feature f: Int, row: Int) {
            fireCounts[f] += 1
            sums[f] += Double(a)
            histograms[f * ActivationHistogram.binCount + ActivationHistogram.bin(a)] += 1
            guard a >= thresholds[f] else { return }
            let heapActs = heapActs + f * k, heapRows = heapRows + f * k
            var count = heapCounts[f]
            if count < k {
                FeatureTally.push(a, row, acts: heapActs, rows: heapRows, count: count)
                count += 1
                heapCounts[f] = count
                if count == k { thresholds[f] = heapActs[0] }
            } else if FeatureTally.isWorse(heapActs[0], heapRows[0], than: a, row) {
                FeatureTally.replaceRoot(a, row, acts: heapActs, rows: heapRows, count: count)
                thresholds[f] = heapActs[0]
            }
        }
    }

    private func withState(_ body: (inout State) -> Void) {
        heapActivations.withUnsafeMutableBufferPointer { heapActs in
        heapRows.withUnsafeMutableBufferPointer { heapRows in
        heapCounts.withUnsafeMutableBufferPointer { heapCounts in
        thresholds.withUnsafeMutableBufferPointer { thresholds in
        fireCounts.withUnsafeMutableBufferPointer { fireCounts in
        activationSums.withUnsafeMutableBufferPointer { sums in
        histograms.withUnsafeMutableBufferPointer { histograms in
            var state = State(k: k, heapActs: heapActs.baseAddress!, heapRows: heapRows.baseAddress!, heapCounts: heapCounts.baseAddress!,
                              thresholds: thresholds.baseAddress!, fireCounts: fireCounts.baseAddress!, sums: sums.baseAddress!,
                              histograms: histograms.baseAddress!)
            body(&state)
        }}}}}}}
    }

    @inline(__always)
    static func push(_ a: Float, _ row: Int, acts: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Int>, count: Int) {
        var i = count
        while i > 0 {
            let parent = (i - 1) / 2
            guard isWorse(a, row, than: acts[parent], rows[parent]) else { break }
            acts[i] = acts[parent]
            rows[i] = rows[parent]
            i = parent
        }
        acts[i] = a
        rows[i] = row
    }

    @inline(__always)
    static func replaceRoot(_ a: Float, _ row: Int, acts: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Int>, count: Int) {
        var i = 0
        while true {
            var child = 2 * i + 1
            if child >= count { break }
            if child + 1 < count && isWorse(acts[child + 1], rows[child + 1], than: acts[child], rows[child]) { child += 1 }
            guard isWorse(acts[child], rows[child], than: a, row) else { break }
            acts[i] = acts[child]
            rows[i] = rows[child]
            i = child
        }
        acts[i] = a
        rows[i] = row
    }

    /// Feature f's kept examples, best first (larger activation, then smaller row).
    func sortedExamples(_ f: Int) -> [(row: Int, activation: Float)] {
        let start = f * k
        var examples = (0..<heapCounts[f]).map { (row: heapRows[start + $0], activation: heapActivations[start + $0]) }
        examples.sort { FeatureTally.isWorse($1.activation, $1.row, than: $0.activation, $0.row) }
        return examples
    }
}
