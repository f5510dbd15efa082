/// Picks the k largest entries of a row with a size-k min-heap. Order: a larger value wins; on
/// equal values the lower index wins, so the choice is deterministic (torch.topk leaves ties
/// unspecified; with real activations exact ties essentially never happen).
enum TopKSelection {
    /// Leaves the indices of the k largest of row[0..<count] in heap[0..<k] (in heap order),
    /// the same set as `selectReference` (tested).
    ///
    /// Most of the reference's time goes into heap insertions. Here a vector pass first takes
    /// the maximum of each of n ≥ k disjoint blocks of the row (about 2k): with s = n/8 segments
    /// of L values (L a multiple of 8), block (segment, lane) is every eighth value of a
    /// segment, so one running 8-lane maximum per segment gives 8 block maxima. The k-th largest
    /// block maximum, m, has at least k values at or above it (one in each of k blocks), so
    /// nothing below m can be among the k largest. The values ≥ m (a few percent of the row for
    /// activation-like data) are collected in index order into `candidates` and only they go
    /// through the heap, in that order, so ties resolve as in the reference. A row holding a
    /// NaN takes the reference path.
    // row: (count), heap: (k), candidates: (count) scratch
    static func select(row: UnsafePointer<Float>, count: Int, k: Int, heap: UnsafeMutablePointer<Int>,
                       candidates: UnsafeMutablePointer<Int32>) {
        precondition(k >= 1 && k <= count, "top-\(k) of \(count) values")
        // 2k blocks when the row is long enough (a tighter floor: fewer candidates), else k.
        var segments = (2 * k + 7) / 8
        if count / segments < 8 { segments = (k + 7) / 8 }
        let segmentLength = count / segments / 8 * 8
        guard segmentLength >= 8 else { return selectReference(row: row, count: count, k: k, heap: heap) }
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ i: Int) -> V { UnsafeRawPointer(row + i).loadUnaligned(as: V.self) }
        // The block maxima go to `candidates`' memory first (8·segments ≤ count floats). NaN
        // never replaces a lane's maximum, so they hold no NaN. (pointwiseMax is not inlined
        // for Float; `replace` is.)
        let blockCount = 8 * segments
        let floor: Float = candidates.withMemoryRebound(to: Float.self, capacity: blockCount) { maxima in
            for segment in 0..<segments {
                var lanes = V(repeating: -.infinity)
                var i = segment * segmentLength
                let end = i + segmentLength
                while i < end {
                    let v = load(i)
                    lanes.replace(with: v, where: v .> lanes)
                    i += 8
                }
                UnsafeMutableRawPointer(maxima + 8 * segment).storeBytes(of: lanes, as: V.self)
            }
            return kthLargest(maxima, blockCount, k)
        }

        var candidateCount = 0
        var nanLanes = SIMDMask<SIMD8<Int32>>(repeating: false)
        let threshold = V(repeating: floor)
        var j = 0
        while j + 8 <= count {
            let v = load(j)
            nanLanes .|= v .!= v
            if any(v .>= threshold) {
                // Branch-free: hits are unpredictable, so every lane is written and only the
                // count depends on the comparison (`candidates` has room for the whole row).
                for lane in j..<(j + 8) {
                    candidates[candidateCount] = Int32(lane)
                    candidateCount += row[lane] >= floor ? 1 : 0
                }
            }
            j += 8
        }
        var hasNaN = any(nanLanes)
        while j < count {
            hasNaN = hasNaN || row[j].isNaN
            candidates[candidateCount] = Int32(j)
            candidateCount += row[j] >= floor ? 1 : 0
            j += 1
        }
        // A NaN anywhere may also have hidden itself from the block maxima (comparisons with
        // NaN are false), so the floor proves nothing: take the plain path.
        if hasNaN { return selectReference(row: row, count: count, k: k, heap: heap) }
        precondition(candidateCount >= k, "top-\(k): only \(candidateCount) values at or above the block floor")

        // The candidates' heap holds (value, index) pairs in `heap`'s memory (both 8 bytes per
        // entry), so comparisons need no indirection; the kept indices then go to `heap` as Ints.
        heap.withMemoryRebound(to: (Float, Int32).self, capacity: k) { pairs in
            // `below(a, b)`: a ranks below b, as `worse` orders them.
            @inline(__always) func below(_ a: (Float, Int32), _ b: (Float, Int32)) -> Bool {
                a.0 < b.0 || (a.0 == b.0 && a.1 > b.1)
            }
            func sift(_ start: Int) {
                var parent = start
                let item = pairs[parent]
                while true {
                    let left = 2 * parent + 1
                    if left >= k { break }
                    var child = left
                    if left + 1 < k && below(pairs[left + 1], pairs[left]) { child = left + 1 }
                    if !below(pairs[child], item) { break }
                    pairs[parent] = pairs[child]
                    parent = child
                }
                pairs[parent] = item
            }
            for i in 0..<k { pairs[i] = (row[Int(candidates[i])], candidates[i]) }
            var start = k / 2 - 1
            while start >= 0 { sift(start); start -= 1 }
            for c in k..<candidateCount {
                // Every index in the heap is below this one: it displaces the root exactly when larger.
                let index = candidates[c], value = row[Int(index)]
                if value > pairs[0].0 {
                    pairs[0] = (value, index)
                    sift(0)
                }
            }
            for i in 0..<k { candidates[i] = pairs[i].1 }
        }
        for i in 0..<k { heap[i] = Int(candidates[i]) }
    }

    /// The k-th largest of a[0..<n] (no NaN), by quickselect; reorders `a`.
    private static func kthLargest(_ a: UnsafeMutablePointer<Float>, _ n: Int, _ k: Int) -> Float {
        let target = k - 1
        var lo = 0, hi = n - 1
        while lo < hi {
            let pivot = a[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while a[i] > pivot { i += 1 }
                while a[j] < pivot { j -= 1 }
                if i <= j {
                    let t = a[i]
                    a[i] = a[j]
                    a[j] = t
                    i += 1
                    j -= 1
                }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { break }
        }
        return a[target]
    }

    /// The plain form: a heap of the first k indices, then every later index compared with
    /// the root by `worse`.
    static func selectReference(row: UnsafePointer<Float>, count: Int, k: Int, heap: UnsafeMutablePointer<Int>) {
        precondition(k >= 1 && k <= count, "top-\(k) of \(count) values")
        for i in 0..<k { heap[i] = i }
        heapify(row: row, k: k, heap: heap)
        for j in k..<count where worse(row, heap[0], j) {
            heap[0] = j
            siftDown(row: row, heap: heap, 0, k)
        }
    }

    /// `worse(a, b)`: a ranks below b. The heap root is the worst kept entry.
    @inline(__always) private static func worse(_ row: UnsafePointer<Float>, _ a: Int, _ b: Int) -> Bool {
        let va = row[a], vb = row[b]
        return va < vb || (va == vb && a > b)
    }

    private static func heapify(row: UnsafePointer<Float>, k: Int, heap: UnsafeMutablePointer<Int>) {
        var start = k / 2 - 1
        while start >= 0 { siftDown(row: row, heap: heap, start, k); start -= 1 }
    }

    private static func siftDown(row: UnsafePointer<Float>, heap: UnsafeMutablePointer<Int>, _ start: Int, _ size: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= size { return }
            var child = left
            if left + 1 < size && worse(row, heap[left + 1], heap[left]) { child = left + 1 }
            if !worse(row, heap[child], heap[parent]) { return }
            let t = heap[child]
            heap[child] = heap[parent]
            heap[parent] = t
            parent = child
        }
    }
}
