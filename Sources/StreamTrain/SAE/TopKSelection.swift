/// Picks the k largest entries of a row with a size-k min-heap. Order: a larger value wins; on
/// equal values the lower index wins, so the choice is deterministic (torch.topk leaves ties
/// unspecified; with real activations exact ties essentially never happen).
enum TopKSelection {
    /// Leaves the indices of the k largest of row[0..<count] in heap[0..<k] (in heap order),
    /// the same set as `selectReference` (tested).
    ///
    /// Most of the reference's time goes into heap insertions. Here one vector pass first
    /// takes the maximum of each of k disjoint blocks of the row: the smallest of those
    /// maxima, m, has k values at or above it, so nothing below m can be among the k largest.
    /// The values ≥ m (a few percent of the row for activation-like data) are collected in
    /// index order into `candidates` and only they go through the heap, in that order, so ties
    /// resolve as in the reference. A row holding a NaN takes the reference path.
    // row: (count), heap: (k), candidates: (count) scratch
    static func select(row: UnsafePointer<Float>, count: Int, k: Int, heap: UnsafeMutablePointer<Int>,
                       candidates: UnsafeMutablePointer<Int32>) {
        precondition(k >= 1 && k <= count, "top-\(k) of \(count) values")
        let blockLength = count / k
        guard blockLength >= 8 else { return selectReference(row: row, count: count, k: k, heap: heap) }
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ i: Int) -> V { UnsafeRawPointer(row + i).loadUnaligned(as: V.self) }
        // Block b is [b·L, (b+1)·L), the last one running to the end of the row.
        var floor = Float.infinity
        var nanLanes = SIMDMask<SIMD8<Int32>>(repeating: false)
        var hasNaN = false
        for block in 0..<k {
            let start = block * blockLength, end = block == k - 1 ? count : start + blockLength
            var lanes = V(repeating: -.infinity)   // (pointwiseMax is not inlined for Float)
            var i = start
            while i + 8 <= end {
                let v = load(i)
                nanLanes .|= v .!= v
                lanes.replace(with: v, where: v .> lanes)
                i += 8
            }
            var blockMax = lanes.max()
            while i < end {
                hasNaN = hasNaN || row[i].isNaN
                blockMax = max(blockMax, row[i])
                i += 1
            }
            floor = min(floor, blockMax)
        }
        if hasNaN || any(nanLanes) { return selectReference(row: row, count: count, k: k, heap: heap) }

        var candidateCount = 0
        let threshold = V(repeating: floor)
        var j = 0
        while j + 8 <= count {
            if any(load(j) .>= threshold) {
                for lane in j..<(j + 8) where row[lane] >= floor {
                    candidates[candidateCount] = Int32(lane)
                    candidateCount += 1
                }
            }
            j += 8
        }
        while j < count {
            if row[j] >= floor {
                candidates[candidateCount] = Int32(j)
                candidateCount += 1
            }
            j += 1
        }
        precondition(candidateCount >= k, "top-\(k): only \(candidateCount) values at or above the block floor")

        for i in 0..<k { heap[i] = Int(candidates[i]) }
        heapify(row: row, k: k, heap: heap)
        var rootValue = row[heap[0]]
        for c in k..<candidateCount {
            let index = Int(candidates[c])
            // Every index in the heap is below `index`: it displaces the root exactly when larger.
            if row[index] > rootValue {
                heap[0] = index
                siftDown(row: row, heap: heap, 0, k)
                rootValue = row[heap[0]]
            }
        }
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
