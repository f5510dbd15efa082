import TensorIO

/// Pass two of the scan for a range of features: once pass one knows each feature's max,
/// bucket i of Q holds the firing rows with activation in [i, i+1) × max / Q (the last one
/// including the max), as SAEDashboard's quantile intervals do. Each bucket keeps the
/// `samplesPerBucket` rows with the smallest sampling priority, a hash of (seed, feature,
/// context key): a uniform sample without replacement ("bottom-k" sampling) of the bucket's
/// distinct contexts (`ContextKeys`) that depends neither on row order nor on how features are
/// split across threads. Rows of a context already kept share its priority; the first (the
/// smallest row) is kept and the others are counted as folded duplicates on its slot.
final class QuantileSampler: FeatureFoldAccumulator {
    let features: Range<Int>
    let bucketCount: Int
    let samplesPerBucket: Int
    let seed: UInt64
    /// SAE feature id of each local feature (the priority hash uses it, not the local index).
    let featureIDs: [Int]
    /// bucketCount / max per feature (0 for a feature that never fired: nothing to bucket).
    let scales: [Float]
    /// (features, Q): rows that fell in each bucket.
    var bucketCounts: [Int]
    /// (features, Q, s): kept samples; slots [0, filled) are used.
    var priorities: [UInt64]
    var sampleRows: [Int]
    var sampleActivations: [Float]
    var sampleKeys: [UInt64]
    var sampleDuplicates: [Int]
    /// (features, Q)
    var filled: [Int]
    /// (features, Q): largest kept priority once a bucket is full, else UInt64.max.
    var cutoffs: [UInt64]

    init(features: Range<Int>, featureIDs: [Int], maxima: [Float], bucketCount: Int, samplesPerBucket: Int, seed: UInt64) {
        self.features = features
        self.featureIDs = featureIDs
        self.bucketCount = bucketCount
        self.samplesPerBucket = samplesPerBucket
        self.seed = seed
        scales = maxima.map { $0 > 0 ? Float(bucketCount) / $0 : 0 }
        let buckets = features.count * bucketCount
        bucketCounts = [Int](repeating: 0, count: buckets)
        priorities = [UInt64](repeating: 0, count: buckets * samplesPerBucket)
        sampleRows = [Int](repeating: -1, count: buckets * samplesPerBucket)
        sampleActivations = [Float](repeating: 0, count: buckets * samplesPerBucket)
        sampleKeys = [UInt64](repeating: 0, count: buckets * samplesPerBucket)
        sampleDuplicates = [Int](repeating: 0, count: buckets * samplesPerBucket)
        filled = [Int](repeating: 0, count: buckets)
        cutoffs = [UInt64](repeating: .max, count: buckets)
    }

    /// The bucket of a positive activation, given bucketCount / max.
    @inline(__always)
    static func bucket(_ a: Float, scale: Float, bucketCount: Int) -> Int {
        min(Int(a * scale), bucketCount - 1)
    }

    /// SplitMix64's finaliser over (seed, feature, context key): the sampling priority.
    @inline(__always)
    static func priority(seed: UInt64, feature: Int, key: UInt64) -> UInt64 {
        SplitMix64.finalise(seed &+ UInt64(bitPattern: Int64(feature)) &* 0x9E37_79B9_7F4A_7C15 &+ key &* 0xD1B5_4A32_D192_ED03)
    }


    /// The per-bucket arrays as pointers, for one batch's fold.
    struct State: ActivationFolding {
        let bucketCount: Int, samplesPerBucket: Int, seed: UInt64
        let scales: UnsafePointer<Float>, ids: UnsafePointer<Int>, counts: UnsafeMutablePointer<Int>
        let priorities: UnsafeMutablePointer<UInt64>, sampleRows: UnsafeMutablePointer<Int>, sampleActs: UnsafeMutablePointer<Float>
        let sampleKeys: UnsafeMutablePointer<UInt64>, sampleDuplicates: UnsafeMutablePointer<Int>
        let filled: UnsafeMutablePointer<Int>, cutoffs: UnsafeMutablePointer<UInt64>

        /// Folds a positive activation of local feature f at `row`.
        @inline(__always)
        func fold(_ a: Float, feature f: Int, row: Int, key: UInt64) {
            let Q = bucketCount, s = samplesPerBucket
            let q = f * Q + QuantileSampler.bucket(a, scale: scales[f], bucketCount: Q)
            counts[q] += 1
            let p = QuantileSampler.priority(seed: seed, feature: ids[f], key: key)
            guard p <= cutoffs[q] else { return }
            let slots = q * s
            // Rows arrive in ascending order, so a kept row of this context is the smaller one.
            if let i = (0..<filled[q]).first(where: { sampleKeys[slots + $0] == key }) {
                sampleDuplicates[slots + i] += 1
                return
            }
            guard p < cutoffs[q] else { return }
            let priorities = UnsafeMutableBufferPointer(start: self.priorities, count: (q + 1) * s)
            if filled[q] < s {
                priorities[slots + filled[q]] = p
                sampleRows[slots + filled[q]] = row
                sampleActs[slots + filled[q]] = a
                sampleKeys[slots + filled[q]] = key
                sampleDuplicates[slots + filled[q]] = 0
                filled[q] += 1
                if filled[q] == s { cutoffs[q] = QuantileSampler.largest(priorities, slots, s).value }
            } else {
                let worst = QuantileSampler.largest(priorities, slots, s).index
                priorities[slots + worst] = p
                sampleRows[slots + worst] = row
                sampleActs[slots + worst] = a
                sampleKeys[slots + worst] = key
                sampleDuplicates[slots + worst] = 0
                cutoffs[q] = QuantileSampler.largest(priorities, slots, s).value
            }
        }
    }

    func withState(_ body: (inout State) -> Void) {
        scales.withUnsafeBufferPointer { scales in
        featureIDs.withUnsafeBufferPointer { ids in
        bucketCounts.withUnsafeMutableBufferPointer { counts in
        priorities.withUnsafeMutableBufferPointer { priorities in
        sampleRows.withUnsafeMutableBufferPointer { sampleRows in
        sampleActivations.withUnsafeMutableBufferPointer { sampleActs in
        sampleKeys.withUnsafeMutableBufferPointer { sampleKeys in
        sampleDuplicates.withUnsafeMutableBufferPointer { sampleDuplicates in
        filled.withUnsafeMutableBufferPointer { filled in
        cutoffs.withUnsafeMutableBufferPointer { cutoffs in
            var state = State(bucketCount: bucketCount, samplesPerBucket: samplesPerBucket, seed: seed,
                              scales: scales.baseAddress!, ids: ids.baseAddress!, counts: counts.baseAddress!,
                              priorities: priorities.baseAddress!, sampleRows: sampleRows.baseAddress!,
                              sampleActs: sampleActs.baseAddress!, sampleKeys: sampleKeys.baseAddress!,
                              sampleDuplicates: sampleDuplicates.baseAddress!, filled: filled.baseAddress!, cutoffs: cutoffs.baseAddress!)
            body(&state)
        }}}}}}}}}}
    }

    @inline(__always)
    static func largest(_ p: UnsafeMutableBufferPointer<UInt64>, _ start: Int, _ count: Int) -> (index: Int, value: UInt64) {
        var index = 0, value = p[start]
        for i in 1..<count where p[start + i] > value { index = i; value = p[start + i] }
        return (index, value)
    }

    /// Feature f's samples in bucket q, highest activation first (ties: smaller row).
    func samples(_ f: Int, bucket q: Int) -> [(row: Int, activation: Float, duplicates: Int)] {
        KeptExamples.sorted(rows: sampleRows, activations: sampleActivations, duplicates: sampleDuplicates,
                            start: (f * bucketCount + q) * samplesPerBucket, count: filled[f * bucketCount + q])
    }
}
