/// Picks the k largest entries of a row with a size-k min-heap. Order: a larger value wins; on
/// equal values the lower index wins, so the choice is deterministic (torch.topk leaves ties
/// unspecified; with real activations exact ties essentially never happen).
enum TopKSelection {
    /// Leaves the indices of the k largest of row[0..<count] in heap[0..<k], in heap order.
    /// Every index already in the heap is below j, so j displaces the root exactly when its
    /// value is larger than the root's (a tie keeps the lower index): the scan compares eight
    /// values at a time with the root's value and looks closer only when a lane beats it. Once
    /// the heap holds large values that is rare, so the scan runs at vector speed. Tested to
    /// leave the same heap as `selectReference`.
    static func select(row: UnsafePointer<Float>, count: Int, k: Int, heap: UnsafeMutablePointer<Int>) {
        buildHeap(row: row, count: count, k: k, heap: heap)
        var threshold = row[heap[0]]
        @inline(__always) func consider(_ j: Int) {
            if row[j] > threshold {
                heap[0] = j
                siftDown(row: row, heap: heap, 0, k)
                threshold = row[heap[0]]
            }
        }
        var j = k
        while j + 8 <= count {
            let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
            if any(v .> threshold) {
                for lane in j..<(j + 8) { consider(lane) }
            }
            j += 8
        }
        while j < count {
            consider(j)
            j += 1
        }
    }

    /// The plain form: every index from k on is compared with the root by `worse`.
    static func selectReference(row: UnsafePointer<Float>, count: Int, k: Int, heap: UnsafeMutablePointer<Int>) {
        buildHeap(row: row, count: count, k: k, heap: heap)
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

    /// The first k indices as a heap.
    private static func buildHeap(row: UnsafePointer<Float>, count: Int, k: Int, heap: UnsafeMutablePointer<Int>) {
        precondition(k >= 1 && k <= count, "top-\(k) of \(count) values")
        for i in 0..<k { heap[i] = i }
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
