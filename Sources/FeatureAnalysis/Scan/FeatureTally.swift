/// Pass one of the scan for a contiguous range of features: each feature's exact top-k rows
/// (a min-heap whose root is the worst kept example), firing count, activation sum and
/// histogram. Ranges are disjoint, so tallies of different ranges update in parallel.
///
/// Most activations never enter a heap: a full heap's root activation is kept in
/// `thresholds`, and a value below it is skipped with one compare.
///
/// A heap keeps one example per context (`ContextKeys`): a candidate whose context is already
/// kept replaces it only if it is better, and either way one duplicate is counted on the kept
/// slot. The heap therefore ends holding the k best distinct contexts, each with the number of
/// other rows of its context folded into it while it was kept (all of them when, as causality
/// makes it, rows of one context share one activation).
final class FeatureTally: FeatureFoldAccumulator {
    /// Local feature indices covered, [lowerBound, upperBound).
    let features: Range<Int>
    let k: Int
    /// Per feature: k slots; slots [0, heapCounts[f]) form a heap, worst example at the root.
    var heapActivations: [Float]
    var heapRows: [Int]
    var heapKeys: [UInt64]
    /// Rows of the same context folded into each slot.
    var heapDuplicates: [Int]
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
        heapKeys = [UInt64](repeating: 0, count: n * k)
        heapDuplicates = [Int](repeating: 0, count: n * k)
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


    /// The per-feature arrays as pointers, for one batch's fold.
    struct State: ActivationFolding {
        let k: Int
        let heapActs: UnsafeMutablePointer<Float>, heapRows: UnsafeMutablePointer<Int>, heapCounts: UnsafeMutablePointer<Int>
        let heapKeys: UnsafeMutablePointer<UInt64>, heapDuplicates: UnsafeMutablePointer<Int>
        let thresholds: UnsafeMutablePointer<Float>, fireCounts: UnsafeMutablePointer<Int>, sums: UnsafeMutablePointer<Double>
        let histograms: UnsafeMutablePointer<Int>
        /// Folds a positive activation of local feature f at `row`.
        @inline(__always)
        func fold(_ a: Float, feature f: Int, row: Int, key: UInt64) {
            fireCounts[f] += 1
            sums[f] += Double(a)
            histograms[f * ActivationHistogram.binCount + ActivationHistogram.bin(a)] += 1
            guard a >= thresholds[f] else { return }
            let heap = FeatureTally.Heap(acts: heapActs + f * k, rows: heapRows + f * k, keys: heapKeys + f * k,
                                         duplicates: heapDuplicates + f * k)
            var count = heapCounts[f]
            if let i = (0..<count).first(where: { heap.keys[$0] == key }) {
                // The same context is kept: keep the better row of the two, count one duplicate.
                if FeatureTally.isWorse(heap.acts[i], heap.rows[i], than: a, row) {
                    FeatureTally.improve(i, a, row, heap: heap, count: count)
                }
                heap.duplicates[FeatureTally.slot(ofKey: key, heap: heap, count: count)] += 1
                if count == k { thresholds[f] = heap.acts[0] }
            } else if count < k {
                FeatureTally.push(a, row, key, duplicates: 0, heap: heap, count: count)
                count += 1
                heapCounts[f] = count
                if count == k { thresholds[f] = heap.acts[0] }
            } else if FeatureTally.isWorse(heap.acts[0], heap.rows[0], than: a, row) {
                FeatureTally.replaceRoot(a, row, key, duplicates: 0, heap: heap, count: count)
                thresholds[f] = heap.acts[0]
            }
        }
    }

    func withState(_ body: (inout State) -> Void) {
        heapActivations.withUnsafeMutableBufferPointer { heapActs in
        heapRows.withUnsafeMutableBufferPointer { heapRows in
        heapKeys.withUnsafeMutableBufferPointer { heapKeys in
        heapDuplicates.withUnsafeMutableBufferPointer { heapDuplicates in
        heapCounts.withUnsafeMutableBufferPointer { heapCounts in
        thresholds.withUnsafeMutableBufferPointer { thresholds in
        fireCounts.withUnsafeMutableBufferPointer { fireCounts in
        activationSums.withUnsafeMutableBufferPointer { sums in
        histograms.withUnsafeMutableBufferPointer { histograms in
            var state = State(k: k, heapActs: heapActs.baseAddress!, heapRows: heapRows.baseAddress!, heapCounts: heapCounts.baseAddress!,
                              heapKeys: heapKeys.baseAddress!, heapDuplicates: heapDuplicates.baseAddress!,
                              thresholds: thresholds.baseAddress!, fireCounts: fireCounts.baseAddress!, sums: sums.baseAddress!,
                              histograms: histograms.baseAddress!)
            body(&state)
        }}}}}}}}}
    }

    /// One feature's heap slots: examples' activations, rows, context keys and folded duplicates.
    struct Heap {
        let acts: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Int>
        let keys: UnsafeMutablePointer<UInt64>, duplicates: UnsafeMutablePointer<Int>

        @inline(__always)
        func move(_ from: Int, to: Int) {
            acts[to] = acts[from]; rows[to] = rows[from]; keys[to] = keys[from]; duplicates[to] = duplicates[from]
        }

        @inline(__always)
        func set(_ i: Int, _ a: Float, _ row: Int, _ key: UInt64, _ duplicateCount: Int) {
            acts[i] = a; rows[i] = row; keys[i] = key; duplicates[i] = duplicateCount
        }
    }

    @inline(__always)
    static func push(_ a: Float, _ row: Int, _ key: UInt64, duplicates: Int, heap: Heap, count: Int) {
        var i = count
        while i > 0 {
            let parent = (i - 1) / 2
            guard isWorse(a, row, than: heap.acts[parent], heap.rows[parent]) else { break }
            heap.move(parent, to: i)
            i = parent
        }
        heap.set(i, a, row, key, duplicates)
    }

    @inline(__always)
    static func replaceRoot(_ a: Float, _ row: Int, _ key: UInt64, duplicates: Int, heap: Heap, count: Int) {
        siftDown(from: 0, a, row, key, duplicates: duplicates, heap: heap, count: count)
    }

    /// Slot i's example became better (a larger activation or an earlier row): in a heap whose
    /// root is the worst, it moves towards the leaves.
    @inline(__always)
    static func improve(_ i: Int, _ a: Float, _ row: Int, heap: Heap, count: Int) {
        siftDown(from: i, a, row, heap.keys[i], duplicates: heap.duplicates[i], heap: heap, count: count)
    }

    @inline(__always)
    static func siftDown(from start: Int, _ a: Float, _ row: Int, _ key: UInt64, duplicates: Int, heap: Heap, count: Int) {
        var i = start
        while true {
            var child = 2 * i + 1
            if child >= count { break }
            if child + 1 < count && isWorse(heap.acts[child + 1], heap.rows[child + 1], than: heap.acts[child], heap.rows[child]) { child += 1 }
            guard isWorse(heap.acts[child], heap.rows[child], than: a, row) else { break }
            heap.move(child, to: i)
            i = child
        }
        heap.set(i, a, row, key, duplicates)
    }

    @inline(__always)
    static func slot(ofKey key: UInt64, heap: Heap, count: Int) -> Int {
        var i = 0
        while i < count && heap.keys[i] != key { i += 1 }
        precondition(i < count, "a kept context key vanished from its heap")
        return i
    }

    /// Feature f's kept examples, best first (larger activation, then smaller row), with the
    /// rows of the same context folded into each.
    func sortedExamples(_ f: Int) -> [(row: Int, activation: Float, duplicates: Int)] {
        KeptExamples.sorted(rows: heapRows, activations: heapActivations, duplicates: heapDuplicates, start: f * k, count: heapCounts[f])
    }
}
